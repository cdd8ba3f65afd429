# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class KLDivergence(nn.Module):
    """Hinton's logits KD: ``tau^2 * KL(softmax(T/tau) || softmax(S/tau))``.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        reduction (str): ``'none'``, ``'batchmean'``, ``'sum'`` or
            ``'mean'`` (as in :func:`torch.nn.functional.kl_div`).
            Defaults to ``'batchmean'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        teacher_detach (bool): Stop the gradient to the teacher logits.
            Defaults to True.
    """

    def __init__(self,
                 tau: float = 1.0,
                 reduction: str = 'batchmean',
                 loss_weight: float = 1.0,
                 teacher_detach: bool = True) -> None:
        super().__init__()
        accept = ('none', 'batchmean', 'sum', 'mean')
        if reduction not in accept:
            raise ValueError(f'KLDivergence supports reduction in {accept}, '
                             f'but got {reduction!r}')
        self.tau = tau
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.teacher_detach = teacher_detach

    def forward(self, preds_S: torch.Tensor,
                preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits, shape (N, C, ...).
            preds_T (Tensor): Teacher logits, same shape.

        Returns:
            Tensor: The loss.
        """
        if self.teacher_detach:
            preds_T = preds_T.detach()
        softmax_pred_T = F.softmax(preds_T / self.tau, dim=1)
        logsoftmax_preds_S = F.log_softmax(preds_S / self.tau, dim=1)
        loss = (self.tau**2) * F.kl_div(
            logsoftmax_preds_S, softmax_pred_T, reduction=self.reduction)
        return self.loss_weight * loss
