# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled knowledge distillation: ``alpha * TCKD + beta * NCKD``.

    TCKD is the KL divergence of the binary (target / non-target)
    probabilities; NCKD is the KL divergence among the non-target classes
    (the target logit is suppressed by subtracting 1000). Both use
    temperature ``tau`` and are multiplied by ``tau^2``.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        reduction (str): Reduction of ``F.kl_div``. Defaults to
            ``'batchmean'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        alpha (float): Weight of TCKD. Defaults to 1.0.
        beta (float): Weight of NCKD. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 reduction: str = 'batchmean',
                 loss_weight: float = 1.0,
                 alpha: float = 1.0,
                 beta: float = 1.0) -> None:
        super().__init__()
        accept = ('none', 'batchmean', 'sum', 'mean')
        if reduction not in accept:
            raise ValueError(f'DKDLoss supports reduction in {accept}, but '
                             f'got {reduction!r}')
        self.tau = tau
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.alpha = alpha
        self.beta = beta

    def forward(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                gt_labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits (N, C).
            preds_T (Tensor): Teacher logits (N, C).
            gt_labels (Tensor): Class indices (N, ).

        Returns:
            Tensor: The loss.
        """
        preds_T = preds_T.detach()
        gt_mask = self._get_gt_mask(preds_S, gt_labels)
        tckd = self._get_tckd_loss(preds_S, preds_T, gt_mask)
        nckd = self._get_nckd_loss(preds_S, preds_T, gt_mask)
        return self.loss_weight * (self.alpha * tckd + self.beta * nckd)

    def _get_nckd_loss(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                       gt_mask: torch.Tensor) -> torch.Tensor:
        log_S = F.log_softmax(preds_S / self.tau - 1000.0 * gt_mask, dim=1)
        prob_T = F.softmax(preds_T / self.tau - 1000.0 * gt_mask, dim=1)
        return self._kl_loss(log_S, prob_T)

    def _get_tckd_loss(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                       gt_mask: torch.Tensor) -> torch.Tensor:
        non_gt_mask = 1 - gt_mask
        soft_S = F.softmax(preds_S / self.tau, dim=1)
        soft_T = F.softmax(preds_T / self.tau, dim=1)
        bin_S = self._cat_mask(soft_S, gt_mask, non_gt_mask)
        bin_T = self._cat_mask(soft_T, gt_mask, non_gt_mask)
        return self._kl_loss(torch.log(bin_S), bin_T)

    def _kl_loss(self, log_S: torch.Tensor,
                 prob_T: torch.Tensor) -> torch.Tensor:
        return F.kl_div(log_S, prob_T, reduction=self.reduction) * self.tau**2

    @staticmethod
    def _cat_mask(tensor: torch.Tensor, mask1: torch.Tensor,
                  mask2: torch.Tensor) -> torch.Tensor:
        t1 = (tensor * mask1).sum(dim=1, keepdim=True)
        t2 = (tensor * mask2).sum(dim=1, keepdim=True)
        return torch.cat([t1, t2], dim=1)

    @staticmethod
    def _get_gt_mask(logits: torch.Tensor,
                     target: torch.Tensor) -> torch.Tensor:
        target = target.reshape(-1).long()
        return torch.zeros_like(logits).scatter_(1, target.unsqueeze(1),
                                                 1).float()
