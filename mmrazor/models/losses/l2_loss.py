# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmrazor.registry import MODELS


@MODELS.register_module()
class L2Loss(nn.Module):
    """Sum of squared errors between (optionally normalised) features
    (FitNets).

    With ``normalize`` each sample's flattened feature is divided by its L2
    norm and multiplied by ``mult``. The sum of squared differences is
    square-rooted when ``dist`` and divided by the number of elements
    (``div_element``) or by the batch size.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        normalize (bool): L2-normalise the features. Defaults to True.
        mult (float): Multiplier of the normalised features.
        div_element (bool): Divide by the element count instead of N.
        dist (bool): Take the square root (Euclidean distance).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 normalize: bool = True,
                 mult: float = 1.0,
                 div_element: bool = False,
                 dist: bool = False) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.normalize = normalize
        self.mult = mult
        self.div_element = div_element
        self.dist = dist

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_feature (Tensor): Student feature (N, ...).
            t_feature (Tensor): Teacher feature, same shape.

        Returns:
            Tensor: The loss.
        """
        if self.normalize:
            s_feature = self.normalize_feature(s_feature)
            t_feature = self.normalize_feature(t_feature)
        loss = torch.sum(torch.pow(torch.sub(s_feature, t_feature), 2))
        if self.dist:
            loss = torch.sqrt(loss)
        if self.div_element:
            loss = loss / s_feature.numel()
        else:
            loss = loss / s_feature.size(0)
        return self.loss_weight * loss

    def normalize_feature(self, feature: torch.Tensor) -> torch.Tensor:
        """Flatten per sample, divide by the L2 norm, times ``mult``."""
        feature = feature.reshape(feature.size(0), -1)
        return feature / feature.norm(2, dim=1, keepdim=True) * self.mult
