# Copyright (c) OpenMMLab. All rights reserved.
"""Filter fusion of DCFF (Dynamic-Coded Filter Fusion)."""
from typing import Optional, Tuple

import torch
from torch import Tensor

from .dynamic_conv_mixins import DynamicConvMixin


class FuseConvMixin(DynamicConvMixin):
    """A dynamic convolution whose kept filters are fusions of all filters.

    :meth:`get_pooled_channel` builds, at a temperature ``tau``, the
    distribution ``softmax(-cdist(W, W) / tau)`` of every filter over all
    filters, scores each filter by the summed KL divergence of the other
    filters' distributions from its own, and keeps the rows of the top-k
    filters (k = the kept output channels) as the fusion matrix ``choice``
    (k x C_out). The convolution then uses ``choice @ W`` as its k
    filters (and ``choice @ b`` as bias). A high temperature mixes many
    filters, a low one tends to plain selection. Grouped convolutions are
    only sliced.
    """

    def set_forward_args(self, choice: Tensor) -> None:
        """Set the fusion matrix (k x C_out) used by the forward."""
        if choice.dim() != 2 or choice.shape[1] != self.out_channels:
            raise ValueError(
                f'{type(self).__name__}: the fusion matrix must be (k, '
                f'{self.out_channels}), got {tuple(choice.shape)}')
        self.choice = choice

    def _kept_out_channels(self) -> int:
        mask = self.get_mask('out_channels', self.out_channels)
        return self.out_channels if mask is None else int(mask.sum())

    @torch.no_grad()
    def get_pooled_channel(self, tau: float) -> Tensor:
        """The fusion matrix at temperature ``tau`` (k x C_out).

        Args:
            tau (float): The temperature (> 0).

        Returns:
            Tensor: Rows of the k most informative filters.
        """
        if tau <= 0:
            raise ValueError(f'the temperature must be > 0, got {tau}')
        weight = self.weight.detach().reshape(self.out_channels, -1)
        dist = torch.cdist(weight[None], weight[None], p=2)[0]
        prob = torch.softmax(-dist / tau, dim=1)
        log_prob = torch.log(prob + 1e-7)
        # kl[i, j] = KL(p_j || p_i); a filter whose distribution differs
        # most from the others carries the most information
        kl = (prob[None, :, :] *
              (log_prob[None, :, :] - log_prob[:, None, :])).sum(-1)
        score = kl.sum(1)
        k = self._kept_out_channels()
        index = torch.topk(score, k=k).indices.sort().values
        return prob[index]

    def get_dynamic_params(self) -> Tuple[Tensor, Optional[Tensor], int]:
        """(weight, bias, groups): fused filters when a fusion matrix is
        set, else the sliced ones."""
        choice = getattr(self, 'choice', None)
        if choice is None or self.groups != 1:
            return super().get_dynamic_params()
        k = self._kept_out_channels()
        if choice.shape[0] != k:
            raise ValueError(
                f'{type(self).__name__}: the fusion matrix keeps '
                f'{choice.shape[0]} filters but {k} output channels are '
                'active; call calc_information after changing the choices')
        in_mask = self.get_mask('in_channels', self.in_channels)
        weight = self.weight if in_mask is None else \
            self.weight[:, in_mask.to(self.weight.device)]
        choice = choice.to(weight)
        fused = torch.mm(choice, weight.reshape(self.out_channels, -1))
        fused = fused.reshape(k, *weight.shape[1:])
        bias = None if self.bias is None else torch.mv(choice, self.bias)
        return fused, bias, 1
