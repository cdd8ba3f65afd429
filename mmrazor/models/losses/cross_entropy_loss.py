# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross entropy of the student against the teacher's argmax labels.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, preds_S: torch.Tensor,
                preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits (N, C, ...).
            preds_T (Tensor): Teacher logits (N, C, ...).

        Returns:
            Tensor: The loss.
        """
        labels = preds_T.detach().argmax(dim=1)
        return self.loss_weight * F.cross_entropy(preds_S, labels)
