# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class WSLD(nn.Module):
    """Weighted soft-label distillation.

    The soft cross entropy ``-sum softmax(T/tau) log_softmax(S/tau)`` of
    each sample is weighted by ``1 - exp(-max(ce_S / ce_T, 0))`` where
    ``ce_S`` and ``ce_T`` are the (detached, temperature 1) cross entropies
    of student and teacher against the ground truth; times ``tau^2``,
    averaged over the batch.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        num_classes (int): Number of classes. Defaults to 1000.
    """

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight
        self.num_classes = num_classes

    def forward(self, student: torch.Tensor, teacher: torch.Tensor,
                gt_labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            student (Tensor): Student logits (N, C).
            teacher (Tensor): Teacher logits (N, C).
            gt_labels (Tensor): Class indices (N, ).

        Returns:
            Tensor: The loss.
        """
        teacher = teacher.detach()
        student_logits = student / self.tau
        teacher_logits = teacher / self.tau
        teacher_probs = F.softmax(teacher_logits, dim=1)
        ce_loss = -torch.sum(
            teacher_probs * F.log_softmax(student_logits, dim=1),
            1,
            keepdim=True)

        log_softmax_s = F.log_softmax(student.detach(), dim=1)
        log_softmax_t = F.log_softmax(teacher, dim=1)
        one_hot = F.one_hot(
            gt_labels.reshape(-1).long(),
            num_classes=self.num_classes).float()
        ce_loss_s = -torch.sum(one_hot * log_softmax_s, 1, keepdim=True)
        ce_loss_t = -torch.sum(one_hot * log_softmax_t, 1, keepdim=True)

        focal_weight = ce_loss_s / (ce_loss_t + 1e-7)
        focal_weight = torch.clamp(focal_weight, min=0.)
        focal_weight = 1 - torch.exp(-focal_weight)
        ce_loss = (self.tau**2) * ce_loss * focal_weight
        return self.loss_weight * torch.mean(ce_loss)
