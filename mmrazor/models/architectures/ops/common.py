# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch

from mmrazor.registry import MODELS
from .base import BaseOP


@MODELS.register_module()
class Identity(BaseOP):
    """Identity candidate; a 1x1 conv downsample is added when the stride is
    not 1 or the channels change.

    Args:
        in_channels (int): The input channels.
        out_channels (int): The output channels.
        stride (int): Stride. Defaults to 1.
        conv_cfg (dict, optional): Config of the downsample conv.
        norm_cfg (dict): Config of the downsample norm. Defaults to ``BN``.
        act_cfg (dict, optional): Activation of the downsample. Defaults to
            None.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None,
                 **kwargs) -> None:
        from mmcv.cnn import ConvModule
        super().__init__(in_channels, out_channels, stride, init_cfg)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = ConvModule(
                in_channels,
                out_channels,
                kernel_size=1,
                stride=stride,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` (downsampled when needed)."""
        if self.downsample is not None:
            x = self.downsample(x)
        return x
