# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


def euclidean_distance(pred: torch.Tensor,
                       squared: bool = False,
                       eps: float = 1e-12) -> torch.Tensor:
    """Pairwise Euclidean distances of the rows of ``pred`` (zero
    diagonal)."""
    pred_square = pred.pow(2).sum(dim=-1)
    prod = torch.mm(pred, pred.t())
    distance = (pred_square.unsqueeze(1) + pred_square.unsqueeze(0) -
                2 * prod).clamp(min=eps)
    if not squared:
        distance = distance.sqrt()
    distance = distance.clone()
    idx = torch.arange(len(pred), device=pred.device)
    distance[idx, idx] = 0
    return distance


def _prepare(preds_S: torch.Tensor, preds_T: torch.Tensor, with_l2_norm: bool):
    preds_S = preds_S.reshape(preds_S.shape[0], -1)
    preds_T = preds_T.reshape(preds_T.shape[0], -1).detach()
    if with_l2_norm:
        preds_S = F.normalize(preds_S, p=2, dim=1)
        preds_T = F.normalize(preds_T, p=2, dim=1)
    return preds_S, preds_T


@MODELS.register_module()
class DistanceWiseRKD(nn.Module):
    """Relational KD, distance-wise: smooth-L1 between the pairwise
    distance matrices, each divided by its mean positive distance.

    Args:
        loss_weight (float): Defaults to 25.0.
        with_l2_norm (bool): L2-normalise the embeddings. Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 25.0,
                 with_l2_norm: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.with_l2_norm = with_l2_norm

    def distance_loss(self, preds_S: torch.Tensor,
                      preds_T: torch.Tensor) -> torch.Tensor:
        """Smooth-L1 of the normalised distance matrices."""
        d_T = euclidean_distance(preds_T, squared=False)
        d_T = d_T / d_T[d_T > 0].mean()
        d_S = euclidean_distance(preds_S, squared=False)
        d_S = d_S / d_S[d_S > 0].mean()
        return F.smooth_l1_loss(d_S, d_T)

    def forward(self, preds_S: torch.Tensor,
                preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student embeddings (N, ...).
            preds_T (Tensor): Teacher embeddings (N, ...).

        Returns:
            Tensor: The loss.
        """
        preds_S, preds_T = _prepare(preds_S, preds_T, self.with_l2_norm)
        return self.distance_loss(preds_S, preds_T) * self.loss_weight


@MODELS.register_module()
class AngleWiseRKD(nn.Module):
    """Relational KD, angle-wise: smooth-L1 between the cosines of the
    angles formed by every triplet of embeddings.

    Args:
        loss_weight (float): Defaults to 50.0.
        with_l2_norm (bool): L2-normalise the embeddings. Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 50.0,
                 with_l2_norm: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.with_l2_norm = with_l2_norm

    @staticmethod
    def _angles(pred: torch.Tensor) -> torch.Tensor:
        diff = pred.unsqueeze(0) - pred.unsqueeze(1)
        norm_diff = F.normalize(diff, p=2, dim=2)
        return torch.bmm(norm_diff, norm_diff.transpose(1, 2)).reshape(-1)

    def angle_loss(self, preds_S: torch.Tensor,
                   preds_T: torch.Tensor) -> torch.Tensor:
        """Smooth-L1 of the triplet angle cosines."""
        return F.smooth_l1_loss(self._angles(preds_S), self._angles(preds_T))

    def forward(self, preds_S: torch.Tensor,
                preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student embeddings (N, ...).
            preds_T (Tensor): Teacher embeddings (N, ...).

        Returns:
            Tensor: The loss.
        """
        preds_S, preds_T = _prepare(preds_S, preds_T, self.with_l2_norm)
        return self.angle_loss(preds_S, preds_T) * self.loss_weight
