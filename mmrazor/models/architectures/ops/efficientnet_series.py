# Copyright (c) OpenMMLab. All rights reserved.
"""timm-style EfficientNet candidate blocks."""
from typing import Dict, Optional

import torch
import torch.nn as nn

from mmrazor.registry import MODELS
from ..utils.se_layer import SELayer
from .base import BaseOP


@MODELS.register_module()
class ConvBnAct(BaseOP):
    """Conv + norm + activation, with an optional residual (timm style).

    Args:
        in_channels (int): The input channels.
        out_channels (int): The output channels.
        kernel_size (int): Kernel size. Defaults to 3.
        stride (int): Stride. Defaults to 1.
        dilation (int): Dilation. Defaults to 1.
        skip (bool): Add the residual when ``stride == 1`` and the channels
            match. Defaults to False.
        drop_path_rate (float): Drop path rate of the residual branch.
        conv_cfg (dict, optional): Config of the conv.
        norm_cfg (dict): Config of the norm. Defaults to ``BN``.
        act_cfg (dict): Activation. Defaults to ``ReLU``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 dilation: int = 1,
                 skip: bool = False,
                 drop_path_rate: float = 0.,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        from mmcv.cnn.bricks import DropPath
        super().__init__(in_channels, out_channels, stride, init_cfg)
        self.has_residual = skip and stride == 1 and \
            in_channels == out_channels
        self.drop_path = DropPath(drop_path_rate) \
            if drop_path_rate > 0 else nn.Identity()
        self.conv_module = ConvModule(
            in_channels,
            out_channels,
            kernel_size=kernel_size,
            stride=stride,
            dilation=dilation,
            padding=(kernel_size - 1) * dilation // 2,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Conv-BN-Act (+ residual)."""
        out = self.conv_module(x)
        if self.has_residual:
            out = x + self.drop_path(out)
        return out


@MODELS.register_module()
class DepthwiseSeparableConv(BaseOP):
    """Depthwise conv + (SE) + pointwise conv (timm style).

    Args:
        in_channels (int): The input channels.
        out_channels (int): The output channels.
        dw_kernel_size (int): Depthwise kernel size. Defaults to 3.
        stride (int): Stride. Defaults to 1.
        dilation (int): Dilation. Defaults to 1.
        noskip (bool): Disable the residual. Defaults to False.
        pw_act (bool): Activation after the pointwise conv. Defaults to
            False.
        se_cfg (dict, optional): ``SELayer`` arguments. Defaults to None.
        drop_path_rate (float): Drop path rate of the residual branch.
        conv_cfg (dict, optional): Config of the convs.
        norm_cfg (dict): Config of the norms. Defaults to ``BN``.
        act_cfg (dict): Activation. Defaults to ``ReLU``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dw_kernel_size: int = 3,
                 stride: int = 1,
                 dilation: int = 1,
                 noskip: bool = False,
                 pw_act: bool = False,
                 se_cfg: Optional[Dict] = None,
                 drop_path_rate: float = 0.,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        from mmcv.cnn.bricks import DropPath
        super().__init__(in_channels, out_channels, stride, init_cfg)
        self.has_residual = (
            stride == 1 and in_channels == out_channels and not noskip)
        self.has_pw_act = pw_act
        self.has_se = se_cfg is not None
        self.drop_path = DropPath(drop_path_rate) \
            if drop_path_rate > 0 else nn.Identity()
        self.conv_dw = ConvModule(
            in_channels,
            in_channels,
            dw_kernel_size,
            stride=stride,
            dilation=dilation,
            padding=(dw_kernel_size - 1) * dilation // 2,
            groups=in_channels,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        if self.has_se:
            self.se = SELayer(in_channels, **se_cfg)
        self.conv_pw = ConvModule(
            in_channels,
            out_channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg if pw_act else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Depthwise, (SE), pointwise (+ residual)."""
        out = self.conv_dw(x)
        if self.has_se:
            out = self.se(out)
        out = self.conv_pw(out)
        if self.has_residual:
            out = x + self.drop_path(out)
        return out
