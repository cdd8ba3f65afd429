# Copyright (c) OpenMMLab. All rights reserved.
from .base_mutable_channel import BaseMutableChannel
from .mutable_channel_container import MutableChannelContainer
from .oneshot_mutable_channel import OneShotMutableChannel
from .sequential_mutable_channel import (SequentialMutableChannel,
                                         SquentialMutableChannel)
from .simple_mutable_channel import SimpleMutableChannel
from .units import (Channel, ChannelUnit, L1MutableChannelUnit,
                    MutableChannelUnit, OneShotMutableChannelUnit,
                    SequentialMutableChannelUnit)
from .units import DMCPChannelUnit
from .units import DCFFChannelUnit, SlimmableChannelUnit  # noqa: E402

__all__ = [
    'BaseMutableChannel', 'MutableChannelContainer', 'OneShotMutableChannel',
    'SequentialMutableChannel', 'SquentialMutableChannel',
    'SimpleMutableChannel', 'Channel', 'ChannelUnit', 'MutableChannelUnit',
    'SequentialMutableChannelUnit', 'L1MutableChannelUnit',
    'OneShotMutableChannelUnit', 'DMCPChannelUnit'
]
__all__ += ['SlimmableChannelUnit', 'DCFFChannelUnit']
