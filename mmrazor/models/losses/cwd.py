# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class ChannelWiseDivergence(nn.Module):
    """Channel-wise distillation (CWD) for dense prediction.

    Each channel's activation map is turned into a distribution over the
    spatial positions (softmax over H*W with temperature ``tau``), and the
    loss is ``tau^2 * sum KL(p_T || p_S) / (N * C)``.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, preds_S: torch.Tensor,
                preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student maps (N, C, H, W).
            preds_T (Tensor): Teacher maps (N, C, H, W).

        Returns:
            Tensor: The loss.
        """
        if preds_S.shape[-2:] != preds_T.shape[-2:] or \
                preds_S.shape[:2] != preds_T.shape[:2]:
            raise ValueError('ChannelWiseDivergence needs student and '
                             'teacher maps of the same shape, got '
                             f'{tuple(preds_S.shape)} and '
                             f'{tuple(preds_T.shape)}')
        N, C, H, W = preds_S.shape
        preds_T = preds_T.detach()
        flat_T = preds_T.reshape(-1, H * W) / self.tau
        flat_S = preds_S.reshape(-1, H * W) / self.tau
        softmax_T = F.softmax(flat_T, dim=1)
        loss = torch.sum(softmax_T * F.log_softmax(flat_T, dim=1) -
                         softmax_T * F.log_softmax(flat_S, dim=1))
        loss = loss * self.tau**2
        return self.loss_weight * loss / (C * N)
