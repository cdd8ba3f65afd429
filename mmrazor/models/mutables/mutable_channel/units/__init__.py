# Copyright (c) OpenMMLab. All rights reserved.
from .channel_unit import Channel, ChannelUnit
from .dmcp_channel_unit import DMCPChannelUnit
from .l1_mutable_channel_unit import L1MutableChannelUnit
from .mutable_channel_unit import MutableChannelUnit
from .one_shot_mutable_channel_unit import OneShotMutableChannelUnit
from .sequential_mutable_channel_unit import SequentialMutableChannelUnit

__all__ = [
    'Channel', 'ChannelUnit', 'MutableChannelUnit',
    'SequentialMutableChannelUnit', 'L1MutableChannelUnit',
    'OneShotMutableChannelUnit', 'DMCPChannelUnit'
]
