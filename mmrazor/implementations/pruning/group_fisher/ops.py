# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic ops that record what Group Fisher needs: the per-sample,
per-channel sum of input x gradient of the input."""
from typing import List, Optional

import torch
from torch import Tensor, nn

from mmrazor.models.architectures.dynamic_ops import (DynamicConv2d,
                                                      DynamicLinear)


class GroupFisherMixin:
    """Records ``sum(input * grad_input)`` per sample and input channel.

    While :attr:`recording` is on, each forward keeps its (detached) input
    and hooks the gradient of the input; when the gradient arrives, the
    product is summed over every dim but the batch and channel dims and
    scattered to the full channel range of the op (pruned channels get
    0). Each call appends one ``(batch, in_channels)`` tensor to
    :attr:`recorded_fisher`. The output shape of the last forward is kept
    in :attr:`recorded_out_shape` for the FLOPs/memory normalisation.
    """

    channel_dim: int = 1

    def _init_recorder(self) -> None:
        self.recording = False
        self.recorded_fisher: List[Tensor] = []
        self.recorded_out_shape: Optional[torch.Size] = None
        self.recorded_in_shape: Optional[torch.Size] = None

    def start_record(self) -> None:
        """Start recording inputs and gradients."""
        self.recording = True

    def end_record(self) -> None:
        """Stop recording (what was recorded is kept)."""
        self.recording = False

    def reset_recorded(self) -> None:
        """Drop the recorded values."""
        self.recorded_fisher = []

    def _full_in_num(self) -> int:
        return self.in_channels if isinstance(self, nn.Conv2d) else \
            self.in_features

    def _in_mask(self) -> Optional[Tensor]:
        attr = 'in_channels' if isinstance(self, nn.Conv2d) else \
            'in_features'
        return self.get_mask(attr, self._full_in_num())

    def _hook_input(self, x: Tensor) -> Tensor:
        """A view of ``x`` whose gradient (the part that flows through this
        op only) is turned into Fisher information."""
        self.recorded_in_shape = x.shape
        if not self.recording or not x.requires_grad:
            return x
        saved = x.detach()
        mask = self._in_mask()
        full = self._full_in_num()
        channel_dim = self.channel_dim if self.channel_dim >= 0 else \
            x.dim() + self.channel_dim
        x = x.view_as(x)

        def hook(grad: Tensor) -> None:
            prod = saved * grad
            if prod.dim() > 2:
                dims = [d for d in range(1, prod.dim()) if d != channel_dim]
                prod = prod.sum(dims)
            prod = prod.detach().float()
            if prod.shape[1] != full:
                expanded = prod.new_zeros(prod.shape[0], full)
                expanded[:, mask.to(prod.device)] = prod
                prod = expanded
            self.recorded_fisher.append(prod)

        x.register_hook(hook)
        return x


class _GroupFisherOp:
    """The recording ``__init__``, ``convert_from`` and ``forward`` of the
    Group Fisher dynamic ops; put before the dynamic op in the bases, with
    :class:`GroupFisherMixin` after it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_recorder()

    @classmethod
    def convert_from(cls, module: nn.Module) -> nn.Module:
        new = cls._adopt(module)
        new._init_recorder()
        return new

    def forward(self, x: Tensor) -> Tensor:
        out = super().forward(self._hook_input(x))
        self.recorded_out_shape = out.shape
        return out


class GroupFisherConv2d(_GroupFisherOp, DynamicConv2d, GroupFisherMixin):
    """:class:`DynamicConv2d` that records Group Fisher information."""

    channel_dim = 1


class GroupFisherLinear(_GroupFisherOp, DynamicLinear, GroupFisherMixin):
    """:class:`DynamicLinear` that records Group Fisher information."""

    channel_dim = -1
