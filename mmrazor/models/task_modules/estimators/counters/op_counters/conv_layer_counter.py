# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import numpy as np
import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


class ConvCounter(BaseCounter):
    """FLOPs and params counter for convolution layers.

    FLOPs are multiply-accumulates: ``k_h*k_w*C_in/groups*C_out`` per output
    position, plus one per output element for the bias.
    """

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of a conv."""
        input = input[0]
        batch_size = input.shape[0]
        output_dims = list(output.shape[2:])
        kernel_dims = list(module.kernel_size)
        in_channels = module.in_channels
        out_channels = module.out_channels
        groups = module.groups
        filters_per_channel = out_channels / groups
        conv_per_position_flops = int(
            np.prod(kernel_dims)) * in_channels * filters_per_channel
        active_elements_count = batch_size * int(np.prod(output_dims))
        overall_conv_flops = conv_per_position_flops * active_elements_count
        bias_flops = 0
        if module.bias is not None:
            bias_flops = out_channels * active_elements_count
        module.__flops__ += int(overall_conv_flops + bias_flops)
        module.__params__ = BaseCounter.count_params(module)


@TASK_UTILS.register_module()
class Conv1dCounter(ConvCounter):
    """FLOPs and params counter for Conv1d."""


@TASK_UTILS.register_module()
class Conv2dCounter(ConvCounter):
    """FLOPs and params counter for Conv2d."""


@TASK_UTILS.register_module()
class Conv3dCounter(ConvCounter):
    """FLOPs and params counter for Conv3d."""


@TASK_UTILS.register_module()
class ConvTranspose2dCounter(BaseCounter):
    """FLOPs and params counter for ConvTranspose2d (counted per input
    position)."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of a transposed conv."""
        input = input[0]
        batch_size = input.shape[0]
        input_dims = list(input.shape[2:])
        kernel_dims = list(module.kernel_size)
        per_position = int(np.prod(kernel_dims)) * module.in_channels * \
            module.out_channels / module.groups
        active = batch_size * int(np.prod(input_dims))
        flops = per_position * active
        if module.bias is not None:
            flops += module.out_channels * batch_size * int(
                np.prod(output.shape[2:]))
        module.__flops__ += int(flops)
        module.__params__ = BaseCounter.count_params(module)
