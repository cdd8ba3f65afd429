# Copyright (c) OpenMMLab. All rights reserved.
"""The batch norm of DMCP: reweights channels by their keep probability."""
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from mmrazor.registry import MODELS
from .dynamic_norm import DynamicBatchNorm2d


def markov_probs(arch_param: Tensor) -> Tensor:
    """``exp(-max(arch_param, 0))``, with the gradient of ``exp(-x)``
    everywhere (a hard clamp would stop the parameters at 0, where they
    start)."""
    clamped = arch_param + (arch_param.clamp(min=0) - arch_param).detach()
    return torch.exp(-clamped)


def channel_keep_probs(arch_param: Tensor, arch_attr: Tuple[int, int, int],
                       num_channels: int) -> Tensor:
    """Marginal keep probability of each channel under DMCP's Markov
    process.

    The first ``min_ch`` channels are always kept; the others form
    ``num_groups`` groups of ``group_size`` (the rest joins the last
    group). Group ``k`` is kept, given group ``k - 1`` is, with probability
    ``p_k = exp(-max(arch_param[k], 0))``, so its marginal probability is
    ``prod(p_0..p_k)``.

    Args:
        arch_param (Tensor): ``(num_groups, )`` architecture parameters.
        arch_attr (tuple): ``(group_size, num_groups, min_ch)``.
        num_channels (int): Channels of the layer.

    Returns:
        Tensor: ``(num_channels, )`` probabilities.
    """
    group_size, num_groups, min_ch = arch_attr
    probs = markov_probs(arch_param).cumprod(0)
    head = probs.new_ones(min_ch)
    if num_groups == 0:
        return probs.new_ones(num_channels)
    groups = probs.repeat_interleave(group_size)
    rest = num_channels - min_ch - groups.numel()
    if rest > 0:
        groups = torch.cat([groups, probs[-1:].expand(rest)])
    return torch.cat([head, groups])[:num_channels]


@MODELS.register_module()
class DMCPBatchNorm2d(DynamicBatchNorm2d):
    """:class:`DynamicBatchNorm2d` that, while the architecture is trained,
    multiplies each output channel by its keep probability (see
    :func:`channel_keep_probs`), which makes the loss differentiable in the
    architecture parameters.

    ``forward(x, arch_param=None, arch_attr=None)``; without arguments the
    parameters bound by ``DMCPChannelMutator`` (:attr:`arch_binding`) are
    used while :attr:`arch_train` is on.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_arch()

    def _init_arch(self) -> None:
        self.arch_train = False
        self.arch_binding = None

    @classmethod
    def convert_from(cls, module: nn.Module) -> 'DMCPBatchNorm2d':
        new = cls._adopt(module)
        new._init_arch()
        return new

    def forward(self,
                x: Tensor,
                arch_param: Optional[Tensor] = None,
                arch_attr: Optional[Tuple[int, int, int]] = None) -> Tensor:
        out = super().forward(x)
        if arch_param is None and self.arch_train and \
                self.arch_binding is not None:
            arch_param, arch_attr = self.arch_binding()
        if arch_param is None or arch_attr is None:
            return out
        probs = channel_keep_probs(arch_param, arch_attr, out.shape[1])
        return out * probs.view(1, -1, *([1] * (out.dim() - 2)))
