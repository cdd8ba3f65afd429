# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class L1Loss(nn.Module):
    """L1 distance between student and teacher features.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        size_average (bool, optional): Deprecated torch argument.
        reduce (bool, optional): Deprecated torch argument.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.size_average = size_average
        self.reduce = reduce
        self.reduction = reduction

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_feature (Tensor): Student feature.
            t_feature (Tensor): Teacher feature, same shape.

        Returns:
            Tensor: The loss.
        """
        loss = F.l1_loss(s_feature, t_feature, self.size_average, self.reduce,
                         self.reduction)
        return self.loss_weight * loss
