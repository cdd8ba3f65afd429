# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class CRDConnector(BaseConnector):
    """CRD embedding: flatten, linear projection, L2 normalisation.

    Args:
        dim_in (int): Input dimension. Defaults to 1024.
        dim_out (int): Embedding dimension. Defaults to 128.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 dim_in: int = 1024,
                 dim_out: int = 128,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.linear = nn.Linear(dim_in, dim_out)

    def forward_train(self, x: torch.Tensor) -> torch.Tensor:
        """Embed and normalise."""
        x = x.reshape(x.size(0), -1)
        x = self.linear(x)
        return x / x.pow(2).sum(1, keepdim=True).pow(0.5)
