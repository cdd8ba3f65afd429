# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class NormConnector(BaseConnector):
    """A single normalisation layer built from ``norm_cfg``.

    Args:
        in_channels (int): Channels of the feature.
        norm_cfg (dict): e.g. ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 norm_cfg: Dict,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        from mmcv.cnn import build_norm_layer
        _, self.norm = build_norm_layer(norm_cfg, in_channels)

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Normalise the feature."""
        return self.norm(feature)
