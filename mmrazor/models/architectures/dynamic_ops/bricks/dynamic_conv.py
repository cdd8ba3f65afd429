# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic convolutions."""
import math
from typing import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from mmrazor.registry import MODELS
from ..mixins.dynamic_conv_mixins import (BigNasConvMixin, DynamicConvMixin,
                                          OFAConvMixin)


@MODELS.register_module()
class DynamicConv2d(nn.Conv2d, DynamicConvMixin):
    """``nn.Conv2d`` whose input/output channels follow mutable channels.

    Example:
        >>> conv = DynamicConv2d(8, 16, 3, padding=1)
        >>> # register ``MutableChannelContainer`` s, then forward
    """

    accepted_mutable_attrs = {'in_channels', 'out_channels'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return nn.Conv2d

    def _conv(self, x: Tensor, weight: Tensor, bias, groups: int) -> Tensor:
        if self.padding_mode != 'zeros':
            x = F.pad(
                x,
                self._reversed_padding_repeated_twice,
                mode=self.padding_mode)
            return F.conv2d(x, weight, bias, self.stride, 0, self.dilation,
                            groups)
        return F.conv2d(x, weight, bias, self.stride, self.padding,
                        self.dilation, groups)

    def forward(self, x: Tensor) -> Tensor:
        weight, bias, groups = self.get_dynamic_params()
        return self._conv(x, weight, bias, groups)


class DynamicConv2dAdaptivePadding(DynamicConv2d):
    """Dynamic version of mmcv ``Conv2dAdaptivePadding`` ('same' padding
    computed from the input size)."""

    @property
    def static_op_factory(self) -> Callable:
        from mmcv.cnn.bricks.conv2d_adaptive_padding import \
            Conv2dAdaptivePadding
        return Conv2dAdaptivePadding

    def _build_static(self, weight, bias, groups):
        return self.static_op_factory(
            in_channels=weight.shape[1] * groups,
            out_channels=weight.shape[0],
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=groups,
            bias=bias is not None)

    def forward(self, x: Tensor) -> Tensor:
        weight, bias, groups = self.get_dynamic_params()
        img_h, img_w = x.size()[-2:]
        kernel_h, kernel_w = weight.size()[-2:]
        stride_h, stride_w = self.stride
        output_h = math.ceil(img_h / stride_h)
        output_w = math.ceil(img_w / stride_w)
        pad_h = max((output_h - 1) * self.stride[0] +
                    (kernel_h - 1) * self.dilation[0] + 1 - img_h, 0)
        pad_w = max((output_w - 1) * self.stride[1] +
                    (kernel_w - 1) * self.dilation[1] + 1 - img_w, 0)
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, [
                pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2
            ])
        return F.conv2d(x, weight, bias, self.stride, self.padding,
                        self.dilation, groups)


class _KernelSearchConv2d(DynamicConv2d):
    """Common forward of the kernel-size searchable convolutions."""

    def forward(self, x: Tensor) -> Tensor:
        weight, bias, groups = self.get_dynamic_params()
        padding = self.get_dynamic_padding()
        if self.padding_mode != 'zeros':
            pad = [p for p in reversed(padding) for _ in range(2)]
            x = F.pad(x, pad, mode=self.padding_mode)
            padding = (0, 0)
        return F.conv2d(x, weight, bias, self.stride, padding, self.dilation,
                        groups)


@MODELS.register_module()
class BigNasConv2d(BigNasConvMixin, _KernelSearchConv2d):
    """``nn.Conv2d`` with searchable channels and kernel size (BigNAS:
    smaller kernels are the centre crop of the largest).

    Example:
        >>> from mmrazor.models.mutables import OneShotMutableValue
        >>> conv = BigNasConv2d(8, 8, 5, padding=2, groups=8)
        >>> conv.register_mutable_attr(
        ...     'kernel_size', OneShotMutableValue([3, 5]))
    """

    accepted_mutable_attrs = {'in_channels', 'out_channels', 'kernel_size'}


@MODELS.register_module()
class OFAConv2d(OFAConvMixin, _KernelSearchConv2d):
    """``nn.Conv2d`` with searchable channels and kernel size (Once-for-All:
    smaller kernels are transformed centre crops, see
    :class:`OFAConvMixin`)."""

    accepted_mutable_attrs = {'in_channels', 'out_channels', 'kernel_size'}
