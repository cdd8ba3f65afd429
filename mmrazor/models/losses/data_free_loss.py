# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size

from mmrazor.registry import MODELS


@MODELS.register_module()
class OnehotLikeLoss(nn.Module):
    """DAFL one-hot loss: cross entropy of the teacher's logits on
    generated images against their own argmax (pseudo labels).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss from teacher logits (N, C)."""
        fake_label = preds_T.detach().argmax(dim=1)
        return self.loss_weight * F.cross_entropy(preds_T, fake_label)


@MODELS.register_module()
class InformationEntropyLoss(nn.Module):
    """DAFL information-entropy loss: ``sum_c p_c log10 p_c`` of the mean
    teacher softmax over the batch (gathered across ranks with
    ``gather``); minimising it balances the generated classes.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        gather (bool): All-gather the logits in distributed runs.
    """

    def __init__(self, loss_weight: float = 1.0, gather: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.gather = gather

    def forward(self, preds_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss from teacher logits (N, C)."""
        if self.gather and get_world_size() > 1:
            gathered = all_gather(preds_T)
            gathered[torch.distributed.get_rank()] = preds_T
            preds_T = torch.cat(gathered, dim=0)
        mean_prob = F.softmax(preds_T, dim=1).mean(dim=0)
        loss = (mean_prob * torch.log10(mean_prob)).sum()
        return self.loss_weight * loss


@MODELS.register_module()
class ActivationLoss(nn.Module):
    """DAFL activation loss: the negative mean absolute activation
    (``'abs'``) or the negative mean per-sample L2 norm (``'norm'``) of the
    teacher features.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        norm_type (str): ``'abs'`` or ``'norm'``. Defaults to ``'abs'``.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 norm_type: str = 'abs') -> None:
        super().__init__()
        if norm_type not in ('abs', 'norm'):
            raise ValueError("ActivationLoss: norm_type must be 'abs' or "
                             f"'norm', but got {norm_type!r}")
        self.loss_weight = loss_weight
        self.norm_type = norm_type

    def forward(self, feat_T: torch.Tensor) -> torch.Tensor:
        """Compute the loss from teacher features (N, ...)."""
        if self.norm_type == 'abs':
            loss = -feat_T.abs().mean()
        else:
            loss = -feat_T.reshape(feat_T.shape[0], -1).norm(p=2, dim=1).mean()
        return self.loss_weight * loss
