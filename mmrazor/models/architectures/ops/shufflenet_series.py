# Copyright (c) OpenMMLab. All rights reserved.
"""ShuffleNetV2 candidate blocks of the SPOS search space."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp

from mmrazor.registry import MODELS
from ..utils.channel_shuffle import channel_shuffle
from .base import BaseOP


def _check_channels(op: BaseOP, branch_features: int) -> None:
    if op.out_channels % 2:
        raise ValueError(f'{type(op).__name__} needs even out_channels, got '
                         f'{op.out_channels}')
    if op.stride == 1 and op.in_channels != branch_features * 2:
        raise ValueError(
            f'{type(op).__name__} with stride 1 needs in_channels == '
            f'out_channels, got in_channels={op.in_channels}, '
            f'out_channels={op.out_channels}')


class _ShuffleBase(BaseOP):
    """Shared two-branch logic of ShuffleBlock and ShuffleXception."""

    def _build_branch1(self, kernel_size: int, branch_features: int, conv_cfg,
                       norm_cfg, act_cfg) -> None:
        from mmcv.cnn import ConvModule
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                ConvModule(
                    self.in_channels,
                    self.in_channels,
                    kernel_size=kernel_size,
                    stride=self.stride,
                    padding=kernel_size // 2,
                    groups=self.in_channels,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=None),
                ConvModule(
                    self.in_channels,
                    branch_features,
                    kernel_size=1,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward: split (stride 1) or two branches (stride > 1), concat,
        channel shuffle."""

        def _inner_forward(x):
            if self.stride > 1:
                out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
            else:
                x1, x2 = x.chunk(2, dim=1)
                out = torch.cat((x1, self.branch2(x2)), dim=1)
            return channel_shuffle(out, 2)

        if self.with_cp and x.requires_grad:
            return cp.checkpoint(_inner_forward, x, use_reentrant=False)
        return _inner_forward(x)


@MODELS.register_module()
class ShuffleBlock(_ShuffleBase):
    """InvertedResidual block of ShuffleNetV2 with a searchable kernel.

    Args:
        in_channels (int): The input channels of the block.
        out_channels (int): The output channels of the block.
        kernel_size (int): Kernel size of the depthwise conv, one of 3, 5,
            7.
        stride (int): Stride of the block. Defaults to 1.
        conv_cfg (dict, optional): Config of the convs. Defaults to None.
        norm_cfg (dict): Config of the norms. Defaults to ``BN``.
        act_cfg (dict): Config of the activations. Defaults to ``ReLU``.
        with_cp (bool): Use checkpointing to save memory. Defaults to False.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 with_cp: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        super().__init__(in_channels, out_channels, stride, init_cfg)
        if kernel_size not in (3, 5, 7):
            raise ValueError('kernel_size of ShuffleBlock must be 3, 5 or 7, '
                             f'got {kernel_size}')
        self.kernel_size = kernel_size
        self.with_cp = with_cp
        branch_features = out_channels // 2
        _check_channels(self, branch_features)
        self._build_branch1(kernel_size, branch_features, conv_cfg, norm_cfg,
                            act_cfg)
        in_branch2 = in_channels if stride > 1 else branch_features
        self.branch2 = nn.Sequential(
            ConvModule(
                in_branch2,
                branch_features,
                kernel_size=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg),
            ConvModule(
                branch_features,
                branch_features,
                kernel_size=kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                groups=branch_features,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=None),
            ConvModule(
                branch_features,
                branch_features,
                kernel_size=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg),
        )


@MODELS.register_module()
class ShuffleXception(_ShuffleBase):
    """Xception-like ShuffleNetV2 block (three depthwise 3x3 convs).

    Args:
        in_channels (int): The input channels of the block.
        out_channels (int): The output channels of the block.
        stride (int): Stride of the block. Defaults to 1.
        conv_cfg (dict, optional): Config of the convs. Defaults to None.
        norm_cfg (dict): Config of the norms. Defaults to ``BN``.
        act_cfg (dict): Config of the activations. Defaults to ``ReLU``.
        with_cp (bool): Use checkpointing to save memory. Defaults to False.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 with_cp: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        super().__init__(in_channels, out_channels, stride, init_cfg)
        self.with_cp = with_cp
        branch_features = out_channels // 2
        _check_channels(self, branch_features)
        self._build_branch1(3, branch_features, conv_cfg, norm_cfg, act_cfg)
        in_branch2 = in_channels if stride > 1 else branch_features

        def dw(channels, stride):
            return ConvModule(
                channels,
                channels,
                kernel_size=3,
                stride=stride,
                padding=1,
                groups=channels,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=None)

        def pw(in_c, out_c):
            return ConvModule(
                in_c,
                out_c,
                kernel_size=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

        self.branch2 = nn.Sequential(
            dw(in_branch2, stride), pw(in_branch2, branch_features),
            dw(branch_features, 1), pw(branch_features, branch_features),
            dw(branch_features, 1), pw(branch_features, branch_features))
