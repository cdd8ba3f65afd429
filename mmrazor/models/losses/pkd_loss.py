# Copyright (c) OpenMMLab. All rights reserved.
from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS


@MODELS.register_module()
class PKDLoss(nn.Module):
    """Pearson-correlation KD for detection (PKD).

    Every feature map is normalised per channel to zero mean and unit
    variance over (N, H, W); the loss is half the MSE between the
    normalised student and teacher maps, summed over the feature levels.
    Maps of different sizes are bilinearly resized first (the student to
    the teacher's size with ``resize_stu``, else the teacher).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_stu (bool): Resize the student. Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 resize_stu: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.resize_stu = resize_stu

    @staticmethod
    def norm(feat: torch.Tensor) -> torch.Tensor:
        """Normalise each channel over (N, H, W)."""
        assert feat.dim() == 4, 'PKDLoss expects (N, C, H, W) features'
        N, C, H, W = feat.shape
        feat = feat.permute(1, 0, 2, 3).reshape(C, -1)
        mean = feat.mean(dim=-1, keepdim=True)
        std = feat.std(dim=-1, keepdim=True)
        feat = (feat - mean) / (std + 1e-6)
        return feat.reshape(C, N, H, W).permute(1, 0, 2, 3)

    def forward(
            self, preds_S: Union[torch.Tensor, Tuple[torch.Tensor]],
            preds_T: Union[torch.Tensor, Tuple[torch.Tensor]]) -> torch.Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor | tuple): Student FPN feature(s).
            preds_T (Tensor | tuple): Teacher FPN feature(s).

        Returns:
            Tensor: The loss.
        """
        if isinstance(preds_S, torch.Tensor):
            preds_S, preds_T = (preds_S, ), (preds_T, )
        if len(preds_S) != len(preds_T):
            raise ValueError(f'PKDLoss: {len(preds_S)} student and '
                             f'{len(preds_T)} teacher feature levels')
        loss = 0.
        for pred_S, pred_T in zip(preds_S, preds_T):
            pred_T = pred_T.detach()
            size_S, size_T = pred_S.shape[2:], pred_T.shape[2:]
            if size_S != size_T:
                if self.resize_stu:
                    pred_S = F.interpolate(pred_S, size_T, mode='bilinear')
                else:
                    pred_T = F.interpolate(pred_T, size_S, mode='bilinear')
            assert pred_S.shape == pred_T.shape, \
                f'PKDLoss: shapes {pred_S.shape} and {pred_T.shape}'
            loss += F.mse_loss(self.norm(pred_S), self.norm(pred_T)) / 2
        return loss * self.loss_weight
