# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import numpy as np
import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


class PoolCounter(BaseCounter):
    """FLOPs counter for pooling layers: one FLOP per input element."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs of a pooling layer."""
        input = input[0]
        module.__flops__ += int(np.prod(input.shape))
        module.__params__ = BaseCounter.count_params(module)


@TASK_UTILS.register_module()
class MaxPool1dCounter(PoolCounter):
    """Counter for MaxPool1d."""


@TASK_UTILS.register_module()
class MaxPool2dCounter(PoolCounter):
    """Counter for MaxPool2d."""


@TASK_UTILS.register_module()
class MaxPool3dCounter(PoolCounter):
    """Counter for MaxPool3d."""


@TASK_UTILS.register_module()
class AvgPool1dCounter(PoolCounter):
    """Counter for AvgPool1d."""


@TASK_UTILS.register_module()
class AvgPool2dCounter(PoolCounter):
    """Counter for AvgPool2d."""


@TASK_UTILS.register_module()
class AvgPool3dCounter(PoolCounter):
    """Counter for AvgPool3d."""


@TASK_UTILS.register_module()
class AdaptiveMaxPool1dCounter(PoolCounter):
    """Counter for AdaptiveMaxPool1d."""


@TASK_UTILS.register_module()
class AdaptiveMaxPool2dCounter(PoolCounter):
    """Counter for AdaptiveMaxPool2d."""


@TASK_UTILS.register_module()
class AdaptiveMaxPool3dCounter(PoolCounter):
    """Counter for AdaptiveMaxPool3d."""


@TASK_UTILS.register_module()
class AdaptiveAvgPool1dCounter(PoolCounter):
    """Counter for AdaptiveAvgPool1d."""


@TASK_UTILS.register_module()
class AdaptiveAvgPool2dCounter(PoolCounter):
    """Counter for AdaptiveAvgPool2d."""


@TASK_UTILS.register_module()
class AdaptiveAvgPool3dCounter(PoolCounter):
    """Counter for AdaptiveAvgPool3d."""
