# Copyright (c) OpenMMLab. All rights reserved.
"""The Group Fisher channel unit: Fisher importance of its channels."""
import math
from collections import defaultdict
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from mmrazor.models.mutables import L1MutableChannelUnit
from mmrazor.models.mutables.mutable_channel import MutableChannelContainer
from mmrazor.models.mutables.mutable_channel.units.mutable_channel_unit \
    import default_dynamic_op_map
from mmrazor.registry import MODELS
from .ops import GroupFisherConv2d, GroupFisherLinear, GroupFisherMixin

NORMALIZATION_TYPES = ('flops', 'act')


def _active(module: nn.Module, attr: str, full: int) -> int:
    """Number of kept channels of ``attr`` of a dynamic op."""
    mask = module.get_mask(attr, full)
    return full if mask is None else int(mask.sum())


@MODELS.register_module()
class GroupFisherChannelUnit(L1MutableChannelUnit):
    """A unit whose channels are ranked by their (group) Fisher
    information.

    For each sample, the input x gradient products of the unit's channels
    are summed over the spatial dims and over every input-related op (all
    the ops that read the channels), squared, and summed over the batch:
    the Fisher information of a channel mask. It is accumulated over the
    iterations (:meth:`update_fisher_info`) and normalised by what removing
    one channel saves: FLOPs (``'flops'``, in GFLOPs) or activation memory
    (``'act'``, in M elements of the output feature maps).

    Args:
        num_channels (int): Channels of the unit.
        normalization_type (str): ``'flops'`` or ``'act'``. Defaults to
            ``'flops'``.
        mutate_linear (bool): Also record ``nn.Linear`` layers (they become
            :class:`GroupFisherLinear`). Defaults to False.
        choice_mode, divisor, min_value, min_ratio: See
            :class:`SequentialMutableChannelUnit`.
    """

    def __init__(self,
                 num_channels: int,
                 normalization_type: str = 'flops',
                 mutate_linear: bool = False,
                 choice_mode: str = 'number',
                 divisor: int = 1,
                 min_value: int = 1,
                 min_ratio: float = 0.9) -> None:
        super().__init__(num_channels, choice_mode, divisor, min_value,
                         min_ratio)
        if normalization_type not in NORMALIZATION_TYPES:
            raise ValueError(
                f'GroupFisherChannelUnit: normalization_type must be one of '
                f'{NORMALIZATION_TYPES}, got {normalization_type!r}')
        self.normalization_type = normalization_type
        self.mutate_linear = mutate_linear
        self.register_buffer(
            'fisher_info', torch.zeros(num_channels), persistent=False)

    @property
    def init_args(self) -> Dict:
        args = super().init_args
        args.update(
            normalization_type=self.normalization_type,
            mutate_linear=self.mutate_linear)
        return args

    @init_args.setter
    def init_args(self, value) -> None:
        pass

    def prepare_for_pruning(self, model: nn.Module) -> None:
        """Use Group Fisher ops (Conv2d, and Linear with
        ``mutate_linear``), dynamic ops elsewhere."""
        mapping = dict(default_dynamic_op_map())
        mapping[nn.Conv2d] = GroupFisherConv2d
        if self.mutate_linear:
            mapping[nn.Linear] = GroupFisherLinear
        self._replace_with_dynamic_ops(model, mapping)
        self._register_channel_container(model, MutableChannelContainer)
        self._register_mutable_channel(self.mutable_channel)

    # ------------------------------------------------------------- fisher
    @property
    def recording_modules(self):
        """The input-related Group Fisher ops (unique)."""
        seen, mods = set(), []
        for channel in self.input_related:
            m = channel.module
            if isinstance(m, GroupFisherMixin) and id(m) not in seen:
                seen.add(id(m))
                mods.append(m)
        return mods

    @property
    def has_fisher(self) -> bool:
        """Whether an input-related op records Fisher information."""
        return any(
            isinstance(c.module, GroupFisherMixin) for c in self.input_related)

    @property
    def current_batch_fisher(self) -> Tensor:
        """The Fisher information of the recorded batch(es), per channel.
        """
        per_batch: Dict[int, Tensor] = defaultdict(lambda: None)
        for channel in self.input_related:
            module = channel.module
            if not isinstance(module, GroupFisherMixin):
                continue
            start, end = channel.index
            for rec in module.recorded_fisher:
                part = rec[:, start:end]
                if part.shape[1] != self.num_channels:
                    part = part.reshape(part.shape[0], self.num_channels,
                                        -1).sum(-1)
                b = part.shape[0]
                per_batch[b] = part if per_batch[b] is None else \
                    per_batch[b] + part
        fisher = torch.zeros(self.num_channels)
        for value in per_batch.values():
            if value is not None:
                fisher = fisher + (value.cpu().double()**2).sum(0).float()
        return fisher

    def update_fisher_info(self,
                           batch_fisher: Optional[Tensor] = None) -> None:
        """Add the Fisher information of the recorded batch."""
        if batch_fisher is None:
            batch_fisher = self.current_batch_fisher
        self.fisher_info += batch_fisher.to(self.fisher_info.device)

    def reset_fisher_info(self) -> None:
        """Zero the accumulated Fisher information."""
        self.fisher_info.zero_()

    @property
    def delta_flop_of_a_channel(self) -> float:
        """FLOPs saved by removing one channel (Group Fisher convs and
        linears of the unit, at the last recorded input size)."""
        delta = 0.0
        for channel in self.output_related + self.input_related:
            m = channel.module
            if not isinstance(m, GroupFisherMixin) or \
                    m.recorded_out_shape is None:
                continue
            out_shape = m.recorded_out_shape
            if isinstance(m, nn.Conv2d):
                positions = math.prod(out_shape[2:])
                kernel = math.prod(m.kernel_size)
                depthwise = m.groups > 1 and \
                    m.groups == m.in_channels == m.out_channels
                if depthwise:
                    if channel.is_output_channel:
                        delta += kernel * positions
                    continue  # its input is its output: counted once
                if channel.is_output_channel:
                    in_active = _active(m, 'in_channels', m.in_channels)
                    delta += in_active // m.groups * kernel * positions
                else:
                    out_active = _active(m, 'out_channels', m.out_channels)
                    delta += out_active // m.groups * kernel * positions * \
                        channel.expand_ratio
            else:
                rows = math.prod(out_shape[1:-1])
                if channel.is_output_channel:
                    delta += _active(m, 'in_features', m.in_features) * rows
                else:
                    delta += _active(m, 'out_features', m.out_features) * \
                        rows * channel.expand_ratio
        return float(delta)

    @property
    def delta_memory_of_a_channel(self) -> float:
        """Activation elements saved per sample by removing one channel
        (the output feature maps of the unit's Group Fisher ops)."""
        delta = 0.0
        for channel in self.output_related:
            m = channel.module
            if not isinstance(m, GroupFisherMixin) or \
                    m.recorded_out_shape is None:
                continue
            if isinstance(m, nn.Conv2d):
                delta += math.prod(m.recorded_out_shape[2:])
            else:
                delta += math.prod(m.recorded_out_shape[1:-1])
        return float(delta)

    @property
    def normalized_fisher_info(self) -> Tensor:
        """Fisher information divided by the per-channel cost (GFLOPs or
        M activation elements); NaN when the cost is unknown."""
        fisher = self.fisher_info.double()
        if self.normalization_type == 'flops':
            delta = self.delta_flop_of_a_channel / 1e9
        else:
            delta = self.delta_memory_of_a_channel / 1e6
        if delta <= 0:
            return torch.full_like(fisher, float('nan'))
        return fisher / delta

    def try_to_prune_min_channel(self) -> Optional[int]:
        """Switch off the kept channel with the lowest normalised Fisher
        information.

        Returns:
            int | None: The pruned channel index, None when the unit keeps
            a single channel (or ``min_value``) or its importance is
            unknown.
        """
        mask = self.mutable_channel.current_mask.clone().cpu()
        if int(mask.sum()) <= max(1, self.min_value):
            return None
        imp = self.normalized_fisher_info.clone()
        if bool(torch.isnan(imp).any()):
            return None
        imp[~mask] = float('inf')
        index = int(imp.argmin())
        self.prune_channel(index)
        return index

    def prune_channel(self, index: int) -> None:
        """Switch off channel ``index``."""
        mask = self.mutable_channel.current_mask.clone()
        if not 0 <= index < self.num_channels:
            raise IndexError(f'unit {self.name}: channel {index} not in '
                             f'[0, {self.num_channels})')
        mask[index] = False
        self.mutable_channel.current_choice = mask
