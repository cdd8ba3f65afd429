# Copyright (c) OpenMMLab. All rights reserved.
"""Inverted residual (MobileNetV2/V3) candidate block."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp

from mmrazor.registry import MODELS
from ..utils.se_layer import SELayer
from .base import BaseOP


class ShortcutLayer(nn.Module):
    """Attentive shortcut: avg-pool by ``reduction`` then a 1x1 conv when the
    channels change.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        reduction (int): Spatial reduction (the block's stride).
        conv_cfg (dict, optional): Config of the conv.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 reduction: int = 1,
                 conv_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        super().__init__()
        self.reduction = reduction
        self.conv = None
        if in_channels != out_channels:
            self.conv = ConvModule(
                in_channels, out_channels, 1, conv_cfg=conv_cfg, act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool and project ``x``."""
        if self.reduction > 1:
            padding = 0 if x.size(-1) % 2 == 0 else 1
            x = nn.functional.avg_pool2d(
                x, self.reduction, padding=padding, ceil_mode=True)
        if self.conv is not None:
            x = self.conv(x)
        return x


@MODELS.register_module()
class MBBlock(BaseOP):
    """Mobilenet inverted residual block with optional SE, drop path and
    attentive shortcut.

    Args:
        in_channels (int): The input channels.
        out_channels (int): The output channels.
        stride (int): Stride of the depthwise conv. Defaults to 1.
        kernel_size (int): Kernel size of the depthwise conv. Defaults to 3.
        expand_ratio (int | float): Expand ratio of the hidden channels.
            Defaults to 1.
        se_cfg (dict, optional): Config of the SE layer (``SELayer``
            arguments). Defaults to None.
        conv_cfg (dict, optional): Config of the convs.
        norm_cfg (dict): Config of the norms. Defaults to ``BN``.
        act_cfg (dict): Activation. Defaults to ``ReLU``.
        drop_path_rate (float): Drop path rate of the residual branch.
        with_cp (bool): Use checkpointing. Defaults to False.
        with_attentive_shortcut (bool): Use :class:`ShortcutLayer` as the
            shortcut (so strided/projecting blocks keep a residual).
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel_size: int = 3,
                 expand_ratio: float = 1,
                 se_cfg: Optional[Dict] = None,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 drop_path_rate: float = 0.,
                 with_cp: bool = False,
                 with_attentive_shortcut: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        from mmcv.cnn.bricks import DropPath
        super().__init__(in_channels, out_channels, stride, init_cfg)
        if stride not in (1, 2):
            raise ValueError(f'stride of MBBlock must be 1 or 2, got {stride}')
        self.kernel_size = kernel_size
        self.expand_ratio = expand_ratio
        self.with_cp = with_cp
        self.with_se = se_cfg is not None
        self.with_attentive_shortcut = with_attentive_shortcut
        self.mid_channels = int(round(in_channels * expand_ratio))
        self.with_expand_conv = self.mid_channels != in_channels
        self.drop_path = DropPath(drop_path_rate) \
            if drop_path_rate > 0 else nn.Identity()

        if with_attentive_shortcut:
            self.shortcut = ShortcutLayer(
                in_channels, out_channels, reduction=stride, conv_cfg=conv_cfg)
        self.with_res_shortcut = (stride == 1 and in_channels == out_channels)

        if self.with_expand_conv:
            self.expand_conv = ConvModule(
                in_channels,
                self.mid_channels,
                kernel_size=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
        self.depthwise_conv = ConvModule(
            self.mid_channels,
            self.mid_channels,
            kernel_size=kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=self.mid_channels,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        if self.with_se:
            self.se = SELayer(self.mid_channels, **se_cfg)
        self.linear_conv = ConvModule(
            self.mid_channels,
            out_channels,
            kernel_size=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inverted residual forward."""

        def _inner_forward(x):
            out = x
            if self.with_expand_conv:
                out = self.expand_conv(out)
            out = self.depthwise_conv(out)
            if self.with_se:
                out = self.se(out)
            out = self.linear_conv(out)
            if self.with_attentive_shortcut:
                return self.shortcut(x) + self.drop_path(out)
            if self.with_res_shortcut:
                return x + self.drop_path(out)
            return out

        if self.with_cp and x.requires_grad:
            return cp.checkpoint(_inner_forward, x, use_reentrant=False)
        return _inner_forward(x)
