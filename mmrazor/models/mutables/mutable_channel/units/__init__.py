# Copyright (c) OpenMMLab. All rights reserved.
from .channel_unit import Channel, ChannelUnit
from .dmcp_channel_unit import DMCPChannelUnit
from .l1_mutable_channel_unit import L1MutableChannelUnit
from .mutable_channel_unit import MutableChannelUnit
from .one_shot_mutable_channel_unit import OneShotMutableChannelUnit
from .sequential_mutable_channel_unit import SequentialMutableChannelUnit
from .slimmable_channel_unit import SlimmableChannelUnit  # noqa: E402
from .dcff_channel_unit import DCFFChannelUnit  # noqa: E402

__all__ = [
    'Channel', 'ChannelUnit', 'MutableChannelUnit',
    'SequentialMutableChannelUnit', 'L1MutableChannelUnit',
    'OneShotMutableChannelUnit', 'DMCPChannelUnit'
]
__all__ += ['SlimmableChannelUnit', 'DCFFChannelUnit']
