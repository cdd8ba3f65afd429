# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS
from .base_generator import BaseGenerator


@MODELS.register_module()
class ZSKTGenerator(BaseGenerator):
    """Zero-shot KT generator: linear projection, BN, two (up-sample,
    conv, BN, LeakyReLU) stages and a conv to image channels followed by an
    affine-free BN (no tanh).

    Args:
        img_size (int): Image side (divisible by 4).
        latent_dim (int): Latent dimension.
        hidden_channels (int): Base channels.
        scale_factor (int): Up-sampling factor. Defaults to 2.
        leaky_slope (float): LeakyReLU slope. Defaults to 0.2.
        out_channels (int): Image channels. Defaults to 3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 img_size: int,
                 latent_dim: int,
                 hidden_channels: int,
                 scale_factor: int = 2,
                 leaky_slope: float = 0.2,
                 out_channels: int = 3,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(img_size, latent_dim, hidden_channels, init_cfg)
        self.init_size = self.img_size // (scale_factor**2)
        self.scale_factor = scale_factor
        self.layers1 = nn.Sequential(
            nn.Linear(self.latent_dim,
                      self.hidden_channels * self.init_size**2))
        self.layers2 = nn.Sequential(nn.BatchNorm2d(self.hidden_channels))
        self.layers3 = nn.Sequential(
            nn.Conv2d(self.hidden_channels, self.hidden_channels, 3, 1, 1),
            nn.BatchNorm2d(self.hidden_channels),
            nn.LeakyReLU(leaky_slope, inplace=True))
        self.layers4 = nn.Sequential(
            nn.Conv2d(self.hidden_channels, self.hidden_channels // 2, 3, 1,
                      1), nn.BatchNorm2d(self.hidden_channels // 2),
            nn.LeakyReLU(leaky_slope, inplace=True),
            nn.Conv2d(self.hidden_channels // 2, out_channels, 3, 1, 1),
            nn.BatchNorm2d(out_channels, affine=False))

    def forward(self,
                data: Optional[torch.Tensor] = None,
                batch_size: int = 1) -> torch.Tensor:
        """Generate (N, out_channels, img_size, img_size) images."""
        x = self.process_latent(data, batch_size)
        x = self.layers1(x).view(x.shape[0], self.hidden_channels,
                                 self.init_size, self.init_size)
        x = self.layers2(x)
        x = F.interpolate(x, scale_factor=self.scale_factor)
        x = self.layers3(x)
        x = F.interpolate(x, scale_factor=self.scale_factor)
        return self.layers4(x)
