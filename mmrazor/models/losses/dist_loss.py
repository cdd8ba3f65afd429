# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmrazor.registry import MODELS


def cosine_similarity(a: torch.Tensor,
                      b: torch.Tensor,
                      eps: float = 1e-8) -> torch.Tensor:
    """Row-wise cosine similarity with ``eps`` added to the denominator."""
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def pearson_correlation(a: torch.Tensor,
                        b: torch.Tensor,
                        eps: float = 1e-8) -> torch.Tensor:
    """Row-wise Pearson correlation."""
    return cosine_similarity(a - a.mean(1, keepdim=True),
                             b - b.mean(1, keepdim=True), eps)


def inter_class_relation(y_s: torch.Tensor, y_t: torch.Tensor) -> torch.Tensor:
    """``1 - mean_i pearson(y_s[i], y_t[i])``."""
    return 1 - pearson_correlation(y_s, y_t).mean()


def intra_class_relation(y_s: torch.Tensor, y_t: torch.Tensor) -> torch.Tensor:
    """The inter-class relation of the transposed predictions."""
    return inter_class_relation(y_s.transpose(0, 1), y_t.transpose(0, 1))


@MODELS.register_module()
class DISTLoss(nn.Module):
    """DIST: knowledge distillation from a stronger teacher.

    On ``softmax(logits / tau)``: ``tau^2 * (inter_loss_weight *
    inter_class + intra_loss_weight * intra_class)`` where the relations
    are ``1 - mean Pearson correlation`` over samples (inter) and over
    classes (intra).

    Args:
        inter_loss_weight (float): Defaults to 1.0.
        intra_loss_weight (float): Defaults to 1.0.
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
        teacher_detach (bool): Defaults to True.
    """

    def __init__(self,
                 inter_loss_weight: float = 1.0,
                 intra_loss_weight: float = 1.0,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 teacher_detach: bool = True) -> None:
        super().__init__()
        self.inter_loss_weight = inter_loss_weight
        self.intra_loss_weight = intra_loss_weight
        self.tau = tau
        self.loss_weight = loss_weight
        self.teacher_detach = teacher_detach

    def forward(self, logits_S: torch.Tensor,
                logits_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits_S (Tensor): Student logits (N, C).
            logits_T (Tensor): Teacher logits (N, C).

        Returns:
            Tensor: The loss.
        """
        if self.teacher_detach:
            logits_T = logits_T.detach()
        y_s = (logits_S / self.tau).softmax(dim=1)
        y_t = (logits_T / self.tau).softmax(dim=1)
        inter_loss = self.tau**2 * inter_class_relation(y_s, y_t)
        intra_loss = self.tau**2 * intra_class_relation(y_s, y_t)
        kd_loss = self.inter_loss_weight * inter_loss + \
            self.intra_loss_weight * intra_loss
        return self.loss_weight * kd_loss
