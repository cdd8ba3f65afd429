# Copyright (c) OpenMMLab. All rights reserved.
from typing import Tuple

import torch
import torch.nn as nn

from mmrazor.registry import MODELS


@MODELS.register_module()
class FBKDLoss(nn.Module):
    """Feature-based KD for detection (FBKD, Zhang & Ma, ICLR 2021).

    Takes the tuples produced by :class:`FBKDStudentConnector` and
    :class:`FBKDTeacherConnector`:
    ``(spatial_mask, channel_mask, feat, relation)``, where the masks are
    the temperature-softmax attention maps (N, 1, H, W) and (N, C, 1, 1),
    ``feat`` the (adapted) feature and ``relation`` the non-local output.
    The loss is the sum of

    * ``mask_l2_weight * sum((F_T - F_S)^2 * A^S_T * A^C_T)``
      (attention-guided feature loss),
    * ``spatial_weight * sum|A^S_S - A^S_T|`` and
      ``channel_weight * sum|A^C_S - A^C_T|`` (attention loss),
    * ``nonloacl_weight * sum((R_S - R_T)^2)`` (non-local loss),

    times ``loss_weight``.

    Args:
        mask_l2_weight (float): Defaults to 7e-5.
        channel_weight (float): Defaults to 4e-3.
        spatial_weight (float): Defaults to 4e-3.
        nonloacl_weight (float): (sic) Defaults to 7e-5.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 mask_l2_weight: float = 7e-5,
                 channel_weight: float = 4e-3,
                 spatial_weight: float = 4e-3,
                 nonloacl_weight: float = 7e-5,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.mask_l2_weight = mask_l2_weight
        self.channel_weight = channel_weight
        self.spatial_weight = spatial_weight
        self.nonloacl_weight = nonloacl_weight
        self.loss_weight = loss_weight

    def forward(self, s_input: Tuple[torch.Tensor, ...],
                t_input: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Compute the loss.

        Args:
            s_input (tuple): Student ``(spatial_mask, channel_mask, feat,
                relation)``.
            t_input (tuple): Teacher ``(spatial_mask, channel_mask, feat,
                relation)``.

        Returns:
            Tensor: The loss.
        """
        if len(s_input) != 4 or len(t_input) != 4:
            raise ValueError('FBKDLoss expects 4-tuples (spatial_mask, '
                             'channel_mask, feat, relation) from the FBKD '
                             f'connectors, got {len(s_input)} and '
                             f'{len(t_input)} items')
        s_spatial, s_channel, s_feat, s_relation = s_input
        t_spatial, t_channel, t_feat, t_relation = t_input
        t_spatial, t_channel = t_spatial.detach(), t_channel.detach()
        t_feat = t_feat.detach()
        feat_loss = torch.sum((t_feat - s_feat)**2 * t_spatial * t_channel)
        spatial_loss = torch.sum(torch.abs(s_spatial - t_spatial))
        channel_loss = torch.sum(torch.abs(s_channel - t_channel))
        nonlocal_loss = torch.sum((s_relation - t_relation)**2)
        loss = self.mask_l2_weight * feat_loss + \
            self.spatial_weight * spatial_loss + \
            self.channel_weight * channel_loss + \
            self.nonloacl_weight * nonlocal_loss
        return self.loss_weight * loss
