# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class MGDLoss(nn.Module):
    """Masked generative distillation: ``alpha_mgd * sum((S - T)^2) / N``
    (the student feature is the output of :class:`MGDConnector`).

    Args:
        alpha_mgd (float): Weight of the loss. Defaults to 2e-5.
    """

    def __init__(self, alpha_mgd: float = 0.00002) -> None:
        super().__init__()
        self.alpha_mgd = alpha_mgd

    def forward(self, preds_S: torch.Tensor,
                preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Generated student feature (N, C, H, W).
            preds_T (Tensor): Teacher feature (N, C, H, W).

        Returns:
            Tensor: The loss.
        """
        if preds_S.shape != preds_T.shape:
            raise ValueError('MGDLoss needs features of the same shape, got '
                             f'{tuple(preds_S.shape)} and '
                             f'{tuple(preds_T.shape)}')
        loss = F.mse_loss(preds_S, preds_T.detach(), reduction='sum')
        return loss / preds_S.shape[0] * self.alpha_mgd
