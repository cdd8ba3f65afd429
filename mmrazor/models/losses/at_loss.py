# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer: mean squared difference of the L2-normalised
    spatial attention maps ``mean_c(x^2)``.

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
            s_feature (Tensor): Student feature (N, C, H, W).
            t_feature (Tensor): Teacher feature (N, C', H, W).

        Returns:
            Tensor: The loss.
        """
        loss = (self.calc_attention_matrix(s_feature) -
                self.calc_attention_matrix(t_feature)).pow(2).mean()
        return self.loss_weight * loss

    @staticmethod
    def calc_attention_matrix(x: torch.Tensor) -> torch.Tensor:
        """``normalize(mean_c(x^2).flatten(1))``."""
        return F.normalize(x.pow(2).mean(1).reshape(x.size(0), -1))
