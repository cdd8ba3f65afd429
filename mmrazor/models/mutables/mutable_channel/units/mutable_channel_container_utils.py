# Copyright (c) OpenMMLab. All rights reserved.
"""Small helpers shared by the channel units."""
from torch import nn

from ..mutable_channel_container import module_channel_num


def channel_num(module: nn.Module, is_output: bool) -> int:
    """Number of channels on one side of ``module``."""
    return module_channel_num(module, is_output)
