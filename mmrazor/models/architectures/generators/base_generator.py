# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule

from mmrazor.models.utils import get_module_device


class BaseGenerator(BaseModule):
    """Base class of the image generators of data-free distillation.

    Args:
        img_size (int): Side of the generated square images.
        latent_dim (int): Dimension of the latent noise.
        hidden_channels (int): Base channels of the generator.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 img_size: int,
                 latent_dim: int,
                 hidden_channels: int,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.img_size = img_size
        self.latent_dim = latent_dim
        self.hidden_channels = hidden_channels

    def process_latent(self,
                       latent_data: Optional[torch.Tensor] = None,
                       batch_size: int = 1) -> torch.Tensor:
        """Return ``latent_data`` on the generator's device, or N(0, 1)
        noise of shape (batch_size, latent_dim) when it is None."""
        device = get_module_device(self)
        if latent_data is None:
            return torch.randn((batch_size, self.latent_dim), device=device)
        if not isinstance(latent_data, torch.Tensor):
            raise TypeError('latent_data must be a Tensor or None, but got '
                            f'{type(latent_data).__name__}')
        if latent_data.dim() != 2 or \
                latent_data.shape[1] != self.latent_dim:
            raise ValueError(f'latent_data must be (N, {self.latent_dim}), '
                             f'but got {tuple(latent_data.shape)}')
        return latent_data.to(device)

    def forward(self,
                data: Optional[torch.Tensor] = None,
                batch_size: int = 1) -> torch.Tensor:
        """Generate images."""
        raise NotImplementedError
