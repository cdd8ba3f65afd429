# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic linear layer."""
from typing import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from ..mixins.dynamic_mixins import DynamicLinearMixin


class DynamicLinear(nn.Linear, DynamicLinearMixin):
    """``nn.Linear`` whose features follow mutable channels."""

    accepted_mutable_attrs = {'in_features', 'out_features'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return nn.Linear

    def forward(self, x: Tensor) -> Tensor:
        weight, bias = self.get_dynamic_params()
        return F.linear(x, weight, bias)
