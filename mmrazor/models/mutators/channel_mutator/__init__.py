# Copyright (c) OpenMMLab. All rights reserved.
from .channel_mutator import ChannelMutator
from .dmcp_channel_mutator import DMCPChannelMutator
from .one_shot_channel_mutator import OneShotChannelMutator

__all__ = ['ChannelMutator', 'OneShotChannelMutator', 'DMCPChannelMutator']
