# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_counter import BaseCounter


@TASK_UTILS.register_module()
class RelativePosition2DCounter(BaseCounter):
    """Counter of the AutoFormer relative position embeddings: the two
    tables are parameters; one addition per output element (the sum of
    the vertical and horizontal embeddings)."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """Count FLOPs and params of a ``RelativePosition2D``."""
        table_v, table_h = module.get_tables()
        module.__flops__ += int(output.numel())
        module.__params__ = int(table_v.numel() + table_h.numel())
