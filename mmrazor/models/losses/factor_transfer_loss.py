# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class FTLoss(nn.Module):
    """Factor transfer: L1 distance between the L2-normalised flattened
    factors of student (translator) and teacher (paraphraser).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_feature (Tensor): Student factor (N, ...).
            t_feature (Tensor): Teacher factor (N, ...).

        Returns:
            Tensor: The loss.
        """
        loss = F.l1_loss(self.factor(s_feature), self.factor(t_feature))
        return self.loss_weight * loss

    @staticmethod
    def factor(x: torch.Tensor) -> torch.Tensor:
        """Flatten per sample and L2-normalise."""
        return F.normalize(x.reshape(x.size(0), -1))
