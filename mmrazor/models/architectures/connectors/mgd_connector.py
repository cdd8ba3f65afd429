# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class MGDConnector(BaseConnector):
    """Masked generative distillation: align the student channels (1x1
    conv when they differ), drop random positions (probability
    ``lambda_mgd``; whole channels with ``mask_on_channel``) and
    regenerate the teacher feature with conv-ReLU-conv.

    Args:
        student_channels (int): Student channels.
        teacher_channels (int): Teacher channels.
        lambda_mgd (float): Masking ratio. Defaults to 0.65.
        mask_on_channel (bool): Mask channels instead of positions.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 lambda_mgd: float = 0.65,
                 mask_on_channel: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.lambda_mgd = lambda_mgd
        self.mask_on_channel = mask_on_channel
        if student_channels != teacher_channels:
            self.align = nn.Conv2d(student_channels, teacher_channels, 1)
        else:
            self.align = None
        self.generation = nn.Sequential(
            nn.Conv2d(teacher_channels, teacher_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(teacher_channels, teacher_channels, 3, padding=1))

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Align, mask and generate."""
        if self.align is not None:
            feature = self.align(feature)
        N, C, H, W = feature.shape
        if self.mask_on_channel:
            mat = torch.rand((N, C, 1, 1), device=feature.device)
        else:
            mat = torch.rand((N, 1, H, W), device=feature.device)
        mat = torch.where(mat > 1 - self.lambda_mgd, 0, 1).to(feature)
        return self.generation(feature * mat)
