# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


def soft_cross_entropy(pred: torch.Tensor,
                       label: torch.Tensor,
                       weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> torch.Tensor:
    """Cross entropy against soft labels, with mmcls' weighting rules.

    ``loss_i = -sum_c label_ic * log_softmax(pred)_ic``, multiplied by
    ``weight_i``; ``'mean'`` divides the sum by ``avg_factor`` when given.
    """
    loss = (-label * F.log_softmax(pred, dim=-1)).sum(dim=-1)
    if weight is not None:
        loss = loss * weight.float()
    if avg_factor is None:
        if reduction == 'mean':
            return loss.mean()
        if reduction == 'sum':
            return loss.sum()
        return loss
    if reduction == 'mean':
        return loss.sum() / avg_factor
    if reduction == 'none':
        return loss
    raise ValueError('avg_factor can not be used with reduction="sum"')


@MODELS.register_module()
class KDSoftCELoss(nn.Module):
    """Soft cross-entropy KD: CE of ``S/tau`` against ``softmax(T/tau)``.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        mult_tem_square (bool): Multiply the loss by ``tau^2``.
            Defaults to True.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 reduction: str = 'mean',
                 mult_tem_square: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        accept = ('none', 'mean', 'sum')
        if reduction not in accept:
            raise ValueError(f'KDSoftCELoss supports reduction in {accept}, '
                             f'but got {reduction!r}')
        self.tau = tau
        self.mult_tem_square = mult_tem_square
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                preds_S: torch.Tensor,
                preds_T: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits (N, C).
            preds_T (Tensor): Teacher logits (N, C).
            weight (Tensor, optional): Per-sample weights (N, ).
            avg_factor (float, optional): Divisor for ``'mean'``.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The loss.
        """
        reduction = reduction_override or self.reduction
        preds_T = preds_T.detach()
        soft_label = F.softmax(preds_T / self.tau, dim=-1)
        loss = self.loss_weight * soft_cross_entropy(
            preds_S / self.tau, soft_label, weight, reduction, avg_factor)
        if self.mult_tem_square:
            loss = loss * self.tau**2
        return loss
