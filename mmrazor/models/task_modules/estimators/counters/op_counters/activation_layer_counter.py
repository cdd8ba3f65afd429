# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


class ActivationCounter(BaseCounter):
    """FLOPs counter for activations: one FLOP per output element."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of an activation."""
        module.__flops__ += int(output.numel())
        module.__params__ = BaseCounter.count_params(module)


@TASK_UTILS.register_module()
class ReLUCounter(ActivationCounter):
    """Counter for ReLU."""


@TASK_UTILS.register_module()
class PReLUCounter(ActivationCounter):
    """Counter for PReLU."""


@TASK_UTILS.register_module()
class ELUCounter(ActivationCounter):
    """Counter for ELU."""


@TASK_UTILS.register_module()
class LeakyReLUCounter(ActivationCounter):
    """Counter for LeakyReLU."""


@TASK_UTILS.register_module()
class ReLU6Counter(ActivationCounter):
    """Counter for ReLU6."""
