# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic convolutions."""
import math
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmrazor.registry import MODELS
from ..mixins.dynamic_conv_mixins import (BigNasConvMixin, DynamicConvMixin,
                                          OFAConvMixin)
from ..mixins.dynamic_mixins import DynamicChannelMixin


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


class DynamicConvTranspose2d(nn.ConvTranspose2d, DynamicChannelMixin):
    """``nn.ConvTranspose2d`` whose input/output channels follow mutable
    channels (e.g. the deconvolutions of the mmpose heatmap heads, so that
    the backbone channels that feed them can be pruned).

    The weight is laid out ``(in_channels, out_channels // groups, kh,
    kw)``. Only ``groups == 1`` can be masked: the masks of a grouped
    transposed convolution are an error naming the op.
    """

    accepted_mutable_attrs = {'in_channels', 'out_channels'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return nn.ConvTranspose2d

    def get_dynamic_params(self) -> Tuple[Tensor, Optional[Tensor]]:
        """(weight, bias) sliced by the current masks.

        Raises:
            ValueError: Masks on a grouped transposed convolution.
        """
        in_mask, k_in = self.get_mask_and_prefix('in_channels',
                                                 self.in_channels)
        out_mask, k_out = self.get_mask_and_prefix('out_channels',
                                                   self.out_channels)
        weight, bias = self.weight, self.bias
        if in_mask is None and out_mask is None:
            return weight, bias
        if self.groups != 1:
            raise ValueError(
                f'{type(self).__name__}(groups={self.groups}): only '
                'transposed convolutions with groups=1 can be pruned')
        if k_in is not None:
            weight = weight[:k_in]
        elif in_mask is not None:
            weight = weight[in_mask.to(weight.device)]
        if k_out is not None:
            weight = weight[:, :k_out]
            bias = bias[:k_out] if bias is not None else None
        elif out_mask is not None:
            out_mask = out_mask.to(weight.device)
            weight = weight[:, out_mask]
            bias = bias[out_mask] if bias is not None else None
        return weight, bias

    def forward(self,
                x: Tensor,
                output_size: Optional[List[int]] = None) -> Tensor:
        weight, bias = self.get_dynamic_params()
        output_padding = self._output_padding(x, output_size, self.stride,
                                              self.padding, self.kernel_size,
                                              2, self.dilation)
        return F.conv_transpose2d(x, weight, bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)

    def to_static_op(self) -> nn.Module:
        self.check_if_mutables_fixed()
        weight, bias = self.get_dynamic_params()
        op = self.static_op_factory(
            in_channels=weight.shape[0],
            out_channels=weight.shape[1] * self.groups,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            groups=self.groups,
            bias=bias is not None,
            dilation=self.dilation,
            padding_mode=self.padding_mode)
        with torch.no_grad():
            op.weight.copy_(weight)
            if bias is not None:
                op.bias.copy_(bias)
        op.train(self.training)
        return op
