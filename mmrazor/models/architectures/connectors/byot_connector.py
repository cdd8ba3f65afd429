# Copyright (c) OpenMMLab. All rights reserved.
import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


class SepConv(nn.Module):
    """Two depthwise-separable convs; the first one strides.

    Args:
        channel_in (int): Input channels.
        channel_out (int): Output channels.
        kernel_size (int): Defaults to 3.
        stride (int): Defaults to 2.
        padding (int): Defaults to 1.
    """

    def __init__(self,
                 channel_in: int,
                 channel_out: int,
                 kernel_size: int = 3,
                 stride: int = 2,
                 padding: int = 1) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.Conv2d(
                channel_in,
                channel_in,
                kernel_size,
                stride,
                padding,
                groups=channel_in,
                bias=False), nn.Conv2d(channel_in, channel_in, 1, bias=False),
            nn.BatchNorm2d(channel_in), nn.ReLU(inplace=False),
            nn.Conv2d(
                channel_in,
                channel_in,
                kernel_size,
                1,
                padding,
                groups=channel_in,
                bias=False), nn.Conv2d(channel_in, channel_out, 1, bias=False),
            nn.BatchNorm2d(channel_out), nn.ReLU(inplace=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


@MODELS.register_module()
class BYOTConnector(BaseConnector):
    """Auxiliary classifier branch of BYOT (Be Your Own Teacher).

    The stage feature (``in_channel * expansion`` channels) is weighted by
    an attention map (conv-BN-ReLU, bilinear up-sampling, sigmoid), brought
    to ``out_channel * expansion`` channels by ``log2(out/in)`` strided
    SepConvs, average-pooled and classified.

    Args:
        in_channel (int): Base channels of the stage.
        out_channel (int): Base channels of the last stage.
        num_classes (int): Number of classes. Defaults to 100.
        expansion (int): Block expansion (4 for bottlenecks).
        pool_size (int | tuple): Adaptive pooling size. Defaults to 4.
        kernel_size (int): SepConv kernel. Defaults to 3.
        stride (int): SepConv stride. Defaults to 2.
        init_cfg (dict, optional): Initialisation config.

    Returns (forward):
        tuple: ``(feature, logits)``.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 num_classes: int = 100,
                 expansion: int = 4,
                 pool_size: int = 4,
                 kernel_size: int = 3,
                 stride: int = 2,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        c_in, c_out = in_channel * expansion, out_channel * expansion
        if c_out % c_in or (c_out // c_in) & (c_out // c_in - 1):
            raise ValueError('BYOTConnector: out_channel / in_channel must '
                             f'be a power of two, got {out_channel} / '
                             f'{in_channel}')
        num_convs = max(int(round(math.log2(c_out // c_in))), 1)
        layers, ch = [], c_in
        for i in range(num_convs):
            nxt = c_out if i == num_convs - 1 else ch * 2
            layers.append(
                SepConv(ch, nxt, kernel_size, stride, kernel_size // 2))
            ch = nxt
        self.scala = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(pool_size))
        self.attention = nn.Sequential(
            SepConv(c_in, c_in, kernel_size, stride, kernel_size // 2),
            nn.BatchNorm2d(c_in), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_out, num_classes)

    def forward_train(
            self, feature: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attention-weighted feature and logits."""
        att = self.attention(feature)
        att = F.interpolate(
            att, size=feature.shape[-2:], mode='bilinear', align_corners=False)
        feat = self.scala(feature * torch.sigmoid(att))
        feat = self.pool(feat).flatten(1)
        return feat, self.fc(feat)
