# Copyright (c) OpenMMLab. All rights reserved.
"""FLOPs/params counters of the AutoFormer dynamic ops (they count the
active slice of the weights, like the other dynamic counters).

FLOPs are multiply-accumulates of the parameterised layers, as for every
counter of the estimator: the products of the attention (``q·kᵀ``,
``attn·v`` and the relative-position terms) are not counted.
"""
from typing import Any

import numpy as np
from torch import nn

from mmrazor.registry import TASK_UTILS


@TASK_UTILS.register_module()
class DynamicPatchEmbedCounter:
    """Counter of :class:`DynamicPatchEmbed`: its (sliced) projection conv
    (the norm, a child module, has its own counter)."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count the FLOPs and params of the sliced projection."""
        weight, bias = module.get_dynamic_params()
        positions = int(np.prod(output.shape[:-1]))  # batch x patches
        flops = weight.numel() * positions
        params = weight.numel()
        if bias is not None:
            flops += bias.numel() * positions
            params += bias.numel()
        module.__flops__ += int(flops)
        module.__params__ = int(params)


@TASK_UTILS.register_module()
class DynamicMultiheadAttentionCounter:
    """Counter of :class:`DynamicMultiheadAttention`: the sliced q/k/v and
    output projections (the relative position tables, child modules, have
    their own counter)."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count the FLOPs and params of the four sliced projections."""
        tokens = int(np.prod(input[0].shape[:-1]))  # batch x sequence
        flops = params = 0
        for weight, bias in module.get_dynamic_params().values():
            flops += weight.numel() * tokens
            params += weight.numel()
            if bias is not None:
                flops += bias.numel() * tokens
                params += bias.numel()
        module.__flops__ += int(flops)
        module.__params__ = int(params)


@TASK_UTILS.register_module()
class DynamicRelativePosition2DCounter:
    """Counter of :class:`DynamicRelativePosition2D`: the sliced tables,
    one addition per output element."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count the FLOPs and params of the sliced tables."""
        table_v, table_h = module.get_tables()
        module.__flops__ += int(output.numel())
        module.__params__ = int(table_v.numel() + table_h.numel())
