# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class OFDTeacherConnector(BaseConnector):
    """Margin ReLU of Overhaul Feature Distillation: ``max(x, margin)``
    with a per-channel margin set by :meth:`init_margin` (usually by
    :class:`OFDDistiller` from the teacher's BN statistics).

    Args:
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.margin: Optional[torch.Tensor] = None

    def init_margin(self, margin: torch.Tensor) -> None:
        """Set the per-channel margin (C, ) as a buffer."""
        margin = torch.as_tensor(margin, dtype=torch.float32)
        margin = margin.reshape(1, -1, 1, 1)
        if 'margin' in self._buffers:
            self._buffers['margin'] = margin
        else:
            if hasattr(self, 'margin'):
                delattr(self, 'margin')
            self.register_buffer('margin', margin)

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Apply the margin ReLU."""
        if self.margin is None:
            raise RuntimeError('OFDTeacherConnector: the margin is not set; '
                               'call init_margin() (OverhaulFeature'
                               'Distillation does it from the teacher)')
        return torch.max(feature, self.margin.to(feature))
