# Copyright (c) OpenMMLab. All rights reserved.
"""Switchable batch norm of slimmable networks."""
import copy
from typing import Iterable, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .dynamic_norm import DynamicBatchNorm2d


class SwitchableBatchNorm2d(DynamicBatchNorm2d):
    """Slimmable-network batch norm: a private BN per candidate width.

    The statistics of a narrow subnet differ from those of a wide one, so
    each candidate channel number owns its own affine parameters and
    running statistics (``candidate_bn``). A width without a private BN
    (before :meth:`init_candidates`) falls back to the shared, sliced BN of
    :class:`DynamicBatchNorm2d`.

    Example:
        >>> import torch
        >>> from mmrazor.models.mutables import SquentialMutableChannel
        >>> bn = SwitchableBatchNorm2d.convert_from(torch.nn.BatchNorm2d(8))
        >>> mutable = SquentialMutableChannel(8)
        >>> bn.register_mutable_attr('num_features', mutable)
        >>> bn.init_candidates([4, 8])
        >>> mutable.current_choice = 4
        >>> bn(torch.rand(2, 4, 3, 3)).shape
        torch.Size([2, 4, 3, 3])
        >>> bn.to_static_op().num_features
        4
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.candidate_bn = nn.ModuleDict()

    @classmethod
    def convert_from(cls, module: nn.BatchNorm2d) -> 'SwitchableBatchNorm2d':
        """Take over ``module`` (shared parameters; no candidates yet)."""
        new = cls._adopt(module)
        new.candidate_bn = nn.ModuleDict()
        return new

    def init_candidates(self, candidates: Iterable[int]) -> None:
        """Create one BN per candidate channel number, initialised from the
        first channels of the shared BN.

        Args:
            candidates (Iterable[int]): Channel numbers.

        Raises:
            ValueError: A candidate is not in ``[1, num_features]``.
        """
        for num in sorted(set(int(c) for c in candidates)):
            if not 0 < num <= self.num_features:
                raise ValueError(
                    f'SwitchableBatchNorm2d({self.num_features}): candidate '
                    f'{num} is not in [1, {self.num_features}]')
            if str(num) in self.candidate_bn:
                continue
            bn = nn.BatchNorm2d(
                num,
                eps=self.eps,
                momentum=self.momentum,
                affine=self.affine,
                track_running_stats=self.track_running_stats)
            with torch.no_grad():
                if self.affine:
                    bn.weight.copy_(self.weight[:num])
                    bn.bias.copy_(self.bias[:num])
                if self.track_running_stats:
                    bn.running_mean.copy_(self.running_mean[:num])
                    bn.running_var.copy_(self.running_var[:num])
            if self.weight is not None:
                bn.to(self.weight.device)
            bn.train(self.training)
            self.candidate_bn[str(num)] = bn

    @property
    def candidates(self) -> List[int]:
        """The channel numbers that own a private BN."""
        return sorted(int(k) for k in self.candidate_bn.keys())

    def activated_channels(self) -> int:
        """Channel number of the current choice.

        Raises:
            ValueError: The mask does not keep the leftmost channels.
        """
        mask, k = self.get_mask_and_prefix('num_features', self.num_features)
        if mask is None:
            return self.num_features
        if k is None:
            raise ValueError(
                'SwitchableBatchNorm2d keeps the leftmost channels only; '
                'the current mask is not a prefix')
        return k

    def _current_bn(self) -> Optional[nn.BatchNorm2d]:
        """The private BN of the current width, None if there are none.

        Raises:
            ValueError: Private BNs exist, but none for the current width.
        """
        if len(self.candidate_bn) == 0:
            return None
        num = self.activated_channels()
        if str(num) not in self.candidate_bn:
            raise ValueError(
                f'SwitchableBatchNorm2d({self.num_features}): no private BN '
                f'for {num} channels; candidates are {self.candidates}')
        return self.candidate_bn[str(num)]

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        bn = self._current_bn()
        if bn is None:
            return self._dynamic_bn_forward(x)
        # a functional call: the private BN is not run as a module, so a
        # FLOPs count sees this op once
        if self.training and bn.track_running_stats:
            bn.num_batches_tracked.add_(1)
        if bn.momentum is None:
            factor = 1.0 / float(bn.num_batches_tracked) \
                if bn.track_running_stats else 0.0
        else:
            factor = bn.momentum
        training = self.training or not bn.track_running_stats
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight,
                            bn.bias, training, factor, bn.eps)

    def to_static_op(self) -> nn.Module:
        """A ``nn.BatchNorm2d`` copy of the current width's private BN (the
        sliced shared BN when there is none)."""
        self.check_if_mutables_fixed()
        bn = self._current_bn()
        if bn is None:
            return super().to_static_op()
        op = copy.deepcopy(bn)
        op.train(self.training)
        return op
