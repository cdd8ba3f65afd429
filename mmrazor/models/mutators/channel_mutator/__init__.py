# Copyright (c) OpenMMLab. All rights reserved.
from .channel_mutator import ChannelMutator
from .dmcp_channel_mutator import DMCPChannelMutator
from .one_shot_channel_mutator import OneShotChannelMutator

__all__ = ['ChannelMutator', 'OneShotChannelMutator', 'DMCPChannelMutator']
from .slimmable_channel_mutator import SlimmableChannelMutator  # noqa: E402

__all__ += ['SlimmableChannelMutator']
from .dcff_channel_mutator import DCFFChannelMutator  # noqa: E402

__all__ += ['DCFFChannelMutator']
