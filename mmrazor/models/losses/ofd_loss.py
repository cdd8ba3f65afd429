# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmrazor.registry import MODELS


@MODELS.register_module()
class OFDLoss(nn.Module):
    """Partial L2 of Overhaul Feature Distillation.

    ``sum((s - t)^2 [s > t or t > 0]) / N / mul_factor``: positions where
    the (margin-ReLU'd) teacher is negative and the student is already
    below it are skipped.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        mul_factor (float): Divisor of the loss. Defaults to 1000.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 mul_factor: float = 1000) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.mul_factor = mul_factor

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_feature (Tensor): Student pre-ReLU feature (N, C, H, W).
            t_feature (Tensor): Teacher feature after the margin ReLU.

        Returns:
            Tensor: The loss.
        """
        t_feature = t_feature.detach()
        batch_size = s_feature.shape[0]
        mask = ((s_feature > t_feature) | (t_feature > 0)).float()
        loss = torch.sum((s_feature - t_feature)**2 * mask)
        return self.loss_weight * loss / batch_size / self.mul_factor
