# Copyright (c) OpenMMLab. All rights reserved.
"""DCFF fused convolution."""
from typing import Callable

from torch import Tensor, nn

from mmrazor.registry import MODELS
from ..mixins.fuse_conv_mixin import FuseConvMixin
from .dynamic_conv import DynamicConv2d


@MODELS.register_module()
class FuseConv2d(DynamicConv2d, FuseConvMixin):
    """``nn.Conv2d`` of DCFF: its kept filters are fused from all filters
    (see :class:`FuseConvMixin`); ``to_static_op`` gives a plain
    ``nn.Conv2d`` holding the fused filters.

    Example:
        >>> import torch
        >>> from mmrazor.models.mutables import SquentialMutableChannel
        >>> conv = FuseConv2d.convert_from(torch.nn.Conv2d(3, 8, 3))
        >>> mutable = SquentialMutableChannel(8)
        >>> conv.register_mutable_attr('out_channels', mutable)
        >>> mutable.current_choice = 4
        >>> conv.set_forward_args(choice=conv.get_pooled_channel(1.0))
        >>> conv(torch.rand(1, 3, 5, 5)).shape
        torch.Size([1, 4, 3, 3])
    """

    @property
    def static_op_factory(self) -> Callable:
        return nn.Conv2d

    def forward(self, x: Tensor) -> Tensor:
        weight, bias, groups = self.get_dynamic_params()
        return self._conv(x, weight, bias, groups)
