# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import numpy as np
import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


class BNCounter(BaseCounter):
    """FLOPs and params counter for normalization layers: one FLOP per
    input element, two when affine."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of a norm layer."""
        input = input[0]
        flops = int(np.prod(input.shape))
        if getattr(module, 'affine', False) or \
                getattr(module, 'elementwise_affine', False):
            flops *= 2
        module.__flops__ += flops
        module.__params__ = BaseCounter.count_params(module)


@TASK_UTILS.register_module()
class BatchNorm1dCounter(BNCounter):
    """Counter for BatchNorm1d."""


@TASK_UTILS.register_module()
class BatchNorm2dCounter(BNCounter):
    """Counter for BatchNorm2d."""


@TASK_UTILS.register_module()
class BatchNorm3dCounter(BNCounter):
    """Counter for BatchNorm3d."""


@TASK_UTILS.register_module()
class InstanceNorm1dCounter(BNCounter):
    """Counter for InstanceNorm1d."""


@TASK_UTILS.register_module()
class InstanceNorm2dCounter(BNCounter):
    """Counter for InstanceNorm2d."""


@TASK_UTILS.register_module()
class InstanceNorm3dCounter(BNCounter):
    """Counter for InstanceNorm3d."""


@TASK_UTILS.register_module()
class LayerNormCounter(BNCounter):
    """Counter for LayerNorm."""


@TASK_UTILS.register_module()
class GroupNormCounter(BNCounter):
    """Counter for GroupNorm."""
