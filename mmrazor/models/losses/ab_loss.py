# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmrazor.registry import MODELS


@MODELS.register_module()
class ABLoss(nn.Module):
    """Activation boundary loss (alternative L2 with a margin).

    ``sum((s + m)^2 [s > -m and t <= 0] + (s - m)^2 [s <= m and t > 0])``
    divided by the batch size and by 1000, times 3.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        margin (float): The margin m. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0, margin: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.margin = margin

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_feature (Tensor): Student pre-activation feature.
            t_feature (Tensor): Teacher pre-activation feature.

        Returns:
            Tensor: The loss.
        """
        batch_size = s_feature.shape[0]
        loss = self.criterion_alternative_l2(s_feature, t_feature)
        loss = loss / batch_size / 1000 * 3
        return self.loss_weight * loss

    def criterion_alternative_l2(self, source: torch.Tensor,
                                 target: torch.Tensor) -> torch.Tensor:
        """The margin-based activation-boundary L2."""
        margin = self.margin
        loss = ((source + margin)**2 * ((source > -margin) &
                                        (target <= 0)).float() +
                (source - margin)**2 * ((source <= margin) &
                                        (target > 0)).float())
        return torch.abs(loss).sum()
