# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import numpy as np
import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


@TASK_UTILS.register_module()
class LinearCounter(BaseCounter):
    """FLOPs and params counter for Linear: ``numel(input) * out_features``
    (+ one per output element for the bias)."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of a linear layer."""
        input = input[0]
        output_last_dim = output.shape[-1]
        flops = int(np.prod(input.shape)) * output_last_dim
        if module.bias is not None:
            flops += int(output.numel())
        module.__flops__ += int(flops)
        module.__params__ = BaseCounter.count_params(module)
