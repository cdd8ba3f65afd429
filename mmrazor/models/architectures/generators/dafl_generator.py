# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS
from .base_generator import BaseGenerator


@MODELS.register_module()
class DAFLGenerator(BaseGenerator):
    """DAFL generator: linear projection to ``img_size/4`` maps, then two
    (up-sample, conv, BN, LeakyReLU) stages, a conv to image channels,
    tanh and an affine-free BN.

    Args:
        img_size (int): Image side (divisible by 4).
        latent_dim (int): Latent dimension.
        hidden_channels (int): Base channels.
        scale_factor (int): Up-sampling factor. Defaults to 2.
        bn_eps (float): Eps of the hidden BNs. Defaults to 0.8.
        leaky_slope (float): LeakyReLU slope. Defaults to 0.2.
        out_channels (int): Image channels. Defaults to 3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 img_size: int,
                 latent_dim: int,
                 hidden_channels: int,
                 scale_factor: int = 2,
                 bn_eps: float = 0.8,
                 leaky_slope: float = 0.2,
                 out_channels: int = 3,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(img_size, latent_dim, hidden_channels, init_cfg)
        self.init_size = self.img_size // (scale_factor**2)
        self.scale_factor = scale_factor
        self.linear = nn.Linear(self.latent_dim,
                                self.hidden_channels * self.init_size**2)
        self.bn1 = nn.BatchNorm2d(self.hidden_channels)
        self.conv_blocks1 = nn.Sequential(
            nn.Conv2d(self.hidden_channels, self.hidden_channels, 3, 1, 1),
            nn.BatchNorm2d(self.hidden_channels, eps=bn_eps),
            nn.LeakyReLU(leaky_slope, inplace=True))
        self.conv_blocks2 = nn.Sequential(
            nn.Conv2d(self.hidden_channels, self.hidden_channels // 2, 3,
                      1, 1),
            nn.BatchNorm2d(self.hidden_channels // 2, eps=bn_eps),
            nn.LeakyReLU(leaky_slope, inplace=True),
            nn.Conv2d(self.hidden_channels // 2, out_channels, 3, 1, 1),
            nn.Tanh(), nn.BatchNorm2d(out_channels, affine=False))

    def forward(self,
                data: Optional[torch.Tensor] = None,
                batch_size: int = 1) -> torch.Tensor:
        """Generate (N, out_channels, img_size, img_size) images."""
        x = self.process_latent(data, batch_size)
        x = self.linear(x).view(x.shape[0], self.hidden_channels,
                                self.init_size, self.init_size)
        x = self.bn1(x)
        x = F.interpolate(x, scale_factor=self.scale_factor)
        x = self.conv_blocks1(x)
        x = F.interpolate(x, scale_factor=self.scale_factor)
        return self.conv_blocks2(x)
