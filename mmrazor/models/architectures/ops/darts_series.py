# Copyright (c) OpenMMLab. All rights reserved.
"""Candidate operations of the DARTS search space (`DARTS
<https://arxiv.org/abs/1806.09055>`_): pooling + BN, dilated and separable
convolutions, skip connection and zero."""
import copy
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmrazor.registry import MODELS
from .base import BaseOP

_DEFAULT_NORM = dict(type='BN')


def _norm(norm_cfg: Optional[Dict], channels: int) -> nn.Module:
    from mmcv.cnn import build_norm_layer
    return build_norm_layer(
        copy.deepcopy(norm_cfg or _DEFAULT_NORM), channels)[1]


def drop_path(x: Tensor, drop_prob: float, training: bool) -> Tensor:
    """Drop whole samples of ``x`` with probability ``drop_prob`` and
    rescale the kept ones (the drop path of DARTS retraining).

    Args:
        x (Tensor): ``N x ...`` input.
        drop_prob (float): Probability of dropping a sample.
        training (bool): Drop only in training mode.

    Returns:
        Tensor: the result.
    """
    if drop_prob <= 0.0 or not training:
        return x
    keep = 1.0 - drop_prob
    mask = x.new_empty((x.shape[0], ) + (1, ) * (x.dim() - 1)).bernoulli_(keep)
    return x * mask / keep


class _DartsOP(BaseOP):
    """Base of the DARTS ops: optional drop path at the output.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride. Defaults to 1.
        use_drop_path (bool): Apply drop path to the output in training.
            Defaults to False.
        drop_path_rate (float): The drop path probability. Defaults to 0.0.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 use_drop_path: bool = False,
                 drop_path_rate: float = 0.0,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(in_channels, out_channels, stride, init_cfg)
        if stride not in (1, 2):
            raise ValueError(f'{type(self).__name__}: stride must be 1 or '
                             f'2, got {stride}')
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f'{type(self).__name__}: drop_path_rate must be '
                             f'in [0, 1), got {drop_path_rate}')
        self.use_drop_path = use_drop_path
        self.drop_path_rate = float(drop_path_rate)

    def _drop_path(self, x: Tensor) -> Tensor:
        if self.use_drop_path:
            return drop_path(x, self.drop_path_rate, self.training)
        return x


@MODELS.register_module()
class DartsPoolBN(_DartsOP):
    """Max or average pooling (3x3 by default) followed by a norm layer.

    Args:
        in_channels (int): Input channels (must equal ``out_channels``).
        out_channels (int): Output channels.
        stride (int): Stride of the pooling. Defaults to 1.
        pool_type (str): ``'max'`` or ``'avg'``. Defaults to ``'avg'``.
        kernel_size (int): Pooling window. Defaults to 3.
        use_drop_path (bool): Drop path at the output. Defaults to False.
        drop_path_rate (float): Drop path probability. Defaults to 0.0.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 pool_type: str = 'avg',
                 kernel_size: int = 3,
                 use_drop_path: bool = False,
                 drop_path_rate: float = 0.0,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(in_channels, out_channels, stride, use_drop_path,
                         drop_path_rate, init_cfg)
        if in_channels != out_channels:
            raise ValueError('DartsPoolBN keeps the channels: in_channels '
                             f'{in_channels} != out_channels {out_channels}')
        padding = kernel_size // 2
        if pool_type == 'avg':
            self.pool = nn.AvgPool2d(
                kernel_size, stride, padding, count_include_pad=False)
        elif pool_type == 'max':
            self.pool = nn.MaxPool2d(kernel_size, stride, padding)
        else:
            raise ValueError("DartsPoolBN: pool_type must be 'max' or "
                             f"'avg', got {pool_type!r}")
        self.pool_type = pool_type
        self.bn = _norm(norm_cfg, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Pool, normalise (and drop path)."""
        return self._drop_path(self.bn(self.pool(x)))


@MODELS.register_module()
class DartsDilConv(_DartsOP):
    """ReLU, dilated depthwise conv, pointwise conv, norm.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride. Defaults to 1.
        kernel_size (int): Kernel of the depthwise conv. Defaults to 3.
        dilation (int): Dilation of the depthwise conv. Defaults to 2.
        use_drop_path (bool): Drop path at the output. Defaults to False.
        drop_path_rate (float): Drop path probability. Defaults to 0.0.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel_size: int = 3,
                 dilation: int = 2,
                 use_drop_path: bool = False,
                 drop_path_rate: float = 0.0,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(in_channels, out_channels, stride, use_drop_path,
                         drop_path_rate, init_cfg)
        padding = dilation * (kernel_size - 1) // 2
        self.conv1 = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                in_channels,
                in_channels,
                kernel_size,
                stride,
                padding,
                dilation=dilation,
                groups=in_channels,
                bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            _norm(norm_cfg, out_channels))

    def forward(self, x: Tensor) -> Tensor:
        """The dilated separable conv."""
        return self._drop_path(self.conv1(x))


@MODELS.register_module()
class DartsSepConv(_DartsOP):
    """Two stacked (ReLU, depthwise conv, pointwise conv, norm) blocks; the
    first one carries the stride.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride. Defaults to 1.
        kernel_size (int): Kernel of the depthwise convs. Defaults to 3.
        use_drop_path (bool): Drop path at the output. Defaults to False.
        drop_path_rate (float): Drop path probability. Defaults to 0.0.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel_size: int = 3,
                 use_drop_path: bool = False,
                 drop_path_rate: float = 0.0,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(in_channels, out_channels, stride, use_drop_path,
                         drop_path_rate, init_cfg)
        padding = kernel_size // 2
        self.conv1 = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                in_channels,
                in_channels,
                kernel_size,
                stride,
                padding,
                groups=in_channels,
                bias=False),
            nn.Conv2d(in_channels, in_channels, 1, bias=False),
            _norm(norm_cfg, in_channels))
        self.conv2 = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                in_channels,
                in_channels,
                kernel_size,
                1,
                padding,
                groups=in_channels,
                bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            _norm(norm_cfg, out_channels))

    def forward(self, x: Tensor) -> Tensor:
        """The two separable conv blocks."""
        return self._drop_path(self.conv2(self.conv1(x)))


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing pixels: ReLU, two 1x1 stride-2
    convs on ``x`` and on ``x`` shifted by one pixel, concatenated, norm.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: Optional[Dict] = None) -> None:
        super().__init__()
        if out_channels < 2:
            raise ValueError('FactorizedReduce needs out_channels >= 2, got '
                             f'{out_channels}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.relu = nn.ReLU(inplace=False)
        half = out_channels // 2
        self.conv1 = nn.Conv2d(in_channels, half, 1, stride=2, bias=False)
        self.conv2 = nn.Conv2d(
            in_channels, out_channels - half, 1, stride=2, bias=False)
        self.bn = _norm(norm_cfg, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Reduce ``x`` by 2 in height and width."""
        x = self.relu(x)
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            x = F.pad(x, (0, x.shape[-1] % 2, 0, x.shape[-2] % 2))
        out = torch.cat([self.conv1(x), self.conv2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)


@MODELS.register_module()
class DartsSkipConnect(_DartsOP):
    """Identity; a :class:`FactorizedReduce` when the stride is 2 or the
    channels change.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride. Defaults to 1.
        use_drop_path (bool): Drop path at the output of the reduction (the
            identity is never dropped). Defaults to False.
        drop_path_rate (float): Drop path probability. Defaults to 0.0.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 use_drop_path: bool = False,
                 drop_path_rate: float = 0.0,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(in_channels, out_channels, stride, use_drop_path,
                         drop_path_rate, init_cfg)
        if stride == 1 and in_channels == out_channels:
            self.downsample = None
        else:
            if stride != 2:
                raise ValueError(
                    'DartsSkipConnect with stride 1 keeps the channels: '
                    f'in_channels {in_channels} != out_channels '
                    f'{out_channels}')
            self.downsample = FactorizedReduce(in_channels, out_channels,
                                               norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """Identity or factorized reduction."""
        if self.downsample is None:
            return x
        return self._drop_path(self.downsample(x))


@MODELS.register_module()
class DartsZero(_DartsOP):
    """The "none" op: zeros of the output shape (subsampled by the stride).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride. Defaults to 1.
        init_cfg (dict, optional): Initialization config.
    """

    #: derived subnets never choose this op (see DiffMutableOP)
    is_zero_op = True

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        kwargs.pop('norm_cfg', None)
        super().__init__(
            in_channels, out_channels, stride, init_cfg=init_cfg, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        """Zeros shaped like the op's output."""
        x = x[:, :, ::self.stride, ::self.stride]
        if self.in_channels == self.out_channels:
            return x.mul(0.)
        shape = list(x.shape)
        shape[1] = self.out_channels
        return x.new_zeros(shape)
