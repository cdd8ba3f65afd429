# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


@TASK_UTILS.register_module()
class UpsampleCounter(BaseCounter):
    """FLOPs counter for Upsample: one FLOP per output element."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of an upsample layer."""
        module.__flops__ += int(output.numel())
        module.__params__ = BaseCounter.count_params(module)
