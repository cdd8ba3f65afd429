# Copyright (c) OpenMMLab. All rights reserved.
"""Prunes candidate channel units in place for the analyzer's check
forward, without building unit objects or mutable channel containers."""
import functools
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .fx.fx_tracer import conv_output_zeros


class _CheckMask:
    """The mask of one side of one op for the current check choices.

    It stands in for a :class:`MutableChannelContainer`: dynamic ops read
    ``current_mask`` or, faster, ``current_mask_and_prefix()``.
    """

    __slots__ = ('num', 'segments', 'mask', 'prefix')

    def __init__(self, num: int) -> None:
        self.num = num
        # (start, end, unit name, expand ratio), sorted by start
        self.segments: List[Tuple[int, int, str, int]] = []
        self.mask: Optional[Tensor] = None
        self.prefix: Optional[int] = num

    @property
    def current_mask(self) -> Tensor:
        if self.mask is None:
            return torch.ones(self.num, dtype=torch.bool)
        return self.mask

    def current_mask_and_prefix(
            self) -> Tuple[Optional[Tensor], Optional[int]]:
        return self.mask, self.prefix


class _MaskTable(nn.Module):
    """A read-only stand-in for a dynamic op's ``mutable_attrs``."""

    def __init__(self, masks: Dict[str, _CheckMask]) -> None:
        super().__init__()
        self.__dict__['masks'] = masks

    @classmethod
    def fast(cls, masks: Dict[str, _CheckMask]) -> '_MaskTable':
        """An instance without ``nn.Module.__init__`` (a copy of the
        empty state of a template; the table never gets hooks, parameters
        or children)."""
        table = cls.__new__(cls)
        table.__dict__.update(_TEMPLATE_STATE)
        table.__dict__['masks'] = masks
        return table

    def __contains__(self, key: str) -> bool:
        return key in self.masks

    def __getitem__(self, key: str) -> _CheckMask:
        return self.masks[key]


_TEMPLATE_STATE = {
    k: v
    for k, v in _MaskTable({}).__dict__.items() if k != 'masks'
}


def _kept(op: nn.Module, attr: str, num: int) -> int:
    """The number of channels the mask of ``attr`` keeps."""
    mask, k = op.get_mask_and_prefix(attr, num)
    if mask is None:
        return num
    return k if k is not None else int(mask.sum())


@functools.lru_cache(maxsize=None)
def _shape_checked(dyn: type) -> type:
    """``dyn`` itself, or for ``DynamicConv2d``, ``DynamicLinear`` and the
    plain dynamic batch norms a subclass (same name) that checks the shapes
    the masks give as the functional op would (a mismatch runs the real
    op, which raises) and returns zeros of the output shape (a batch norm:
    its input, viewed as a new tensor): the check compares shapes, and the
    compute is most of its time. Grouped convs still slice their weights
    (that validates the group structure of the masks); elsewhere every
    sliced tensor has the kept count of its mask, so the count is enough.
    """
    from mmrazor.models.architectures.dynamic_ops import (DynamicBatchNorm1d,
                                                          DynamicBatchNorm2d,
                                                          DynamicBatchNorm3d,
                                                          DynamicConv2d,
                                                          DynamicLinear)
    if dyn is DynamicConv2d:

        def forward(self, x):
            if self.groups == 1 and self.padding_mode == 'zeros' and \
                    x.dim() in (3, 4):
                k_in = _kept(self, 'in_channels', self.in_channels)
                k_out = _kept(self, 'out_channels', self.out_channels)
                if x.shape[-3] == k_in and k_out > 0:
                    zeros = conv_output_zeros(x, k_out, self.kernel_size,
                                              self.stride, self.padding,
                                              self.dilation)
                    if zeros is not None:
                        return zeros
            return dyn.forward(self, x)

        def _conv(self, x, weight, bias, groups):
            out = weight.shape[0]
            if self.padding_mode == 'zeros' and x.dim() in (3, 4) and \
                    x.shape[-3] == weight.shape[1] * groups and \
                    out % groups == 0 and \
                    (bias is None or bias.shape == (out, )):
                zeros = conv_output_zeros(x, out, self.kernel_size,
                                          self.stride, self.padding,
                                          self.dilation)
                if zeros is not None:
                    return zeros
            return dyn._conv(self, x, weight, bias, groups)  # raises

        attrs = {'forward': forward, '_conv': _conv}
    elif dyn is DynamicLinear:

        def forward(self, x):
            weight, bias = self.get_dynamic_params()
            out = weight.shape[0]
            if x.dim() >= 1 and x.shape[-1] == weight.shape[1] and \
                    (bias is None or bias.shape == (out, )):
                return x.new_zeros((*x.shape[:-1], out))
            return F.linear(x, weight, bias)  # raises

        attrs = {'forward': forward}
    elif dyn in (DynamicBatchNorm1d, DynamicBatchNorm2d, DynamicBatchNorm3d):

        def _dynamic_bn_forward(self, x):
            if not self.training and x.dim() > 1 and x.shape[1] == _kept(
                    self, 'num_features', self.num_features):
                # a new tensor of the input's shape (no copy)
                return x.view(x.shape)
            return dyn._dynamic_bn_forward(self, x)  # raises

        attrs = {'_dynamic_bn_forward': _dynamic_bn_forward}
    else:
        attrs = {}
    if hasattr(dyn, 'get_mask_and_prefix'):

        def get_mask_and_prefix(self, attr, num):
            # the mask of a check mask table, read directly (the same
            # result and checks as the mixin's lookup through the mutable)
            table = self._modules.get('mutable_attrs')
            if type(table) is _MaskTable:
                holder = table.masks.get(self.attr_mappings.get(attr, attr))
                if holder is None:
                    return None, None
                k = holder.prefix
                if k == num:
                    return None, None
                mask = holder.mask
                if mask is not None and mask.numel() == num:
                    return mask, k
            return dyn.get_mask_and_prefix(self, attr, num)  # raises

        attrs['get_mask_and_prefix'] = get_mask_and_prefix
    if not attrs:
        return dyn
    attrs.update(__module__=dyn.__module__, __qualname__=dyn.__qualname__)
    return type(dyn.__name__, (dyn, ), attrs)


@functools.lru_cache(maxsize=None)
def prepare_check_classes() -> None:
    """Create the check class (see :func:`_shape_checked`) of every
    dynamic op of the default map once, ahead of a first check (the
    classes are cached per dynamic op class)."""
    from mmrazor.models.mutables.mutable_channel.units import \
        mutable_channel_unit
    for dyn in mutable_channel_unit.default_dynamic_op_map().values():
        _shape_checked(dyn)


class UnitPruner:
    """Prunes the candidate units of a model in place, for a check forward.

    What ``SequentialMutableChannelUnit.init_from_cfg`` and
    ``prepare_for_pruning`` would do to the model, at a fraction of the
    cost: the plain ops touched by the units become their dynamic ops by a
    class swap (same object, same parameters), and each op side reads its
    mask from a :class:`_CheckMask` that concatenates the first-``k``
    masks of the units registered on it (ranges without a unit are kept).
    The same dynamic-op forward as a real pruning runs (with
    ``shape_only``, ``Conv2d``, ``Linear`` and batch norms check the
    sliced shapes as the functional op does and give zeros of the output
    shape instead of computing: the check compares shapes).
    :meth:`restore` puts the original classes back.

    Args:
        model (nn.Module): The model (modified until :meth:`restore`).
        units (dict): ``{unit_name: {'init_args': {'num_channels': n},
            'channels': {'input_related': [...], 'output_related':
            [...]}}}`` as produced by the channel graph.
        shape_only (bool): Skip the compute of the convolutions (see
            above). Defaults to True.
        named_modules (dict, optional): ``dict(model.named_modules())``
            when the caller has it.

    Attributes:
        failed (dict): ``{unit_name: error}`` for units that could not be
            prepared (the error a real unit would raise); they stay
            unpruned.
        num_channels (dict): ``{unit_name: n}`` of the prepared units.
        flattened (set): Units that feed a ``Linear`` through a flatten
            (several features per channel: their size depends on the
            input resolution).
    """

    def __init__(self,
                 model: nn.Module,
                 units: Dict[str, Dict],
                 shape_only: bool = True,
                 named_modules: Optional[Dict[str, nn.Module]] = None) -> None:
        from mmrazor.models.architectures.dynamic_ops import \
            DynamicChannelMixin
        from mmrazor.models.mutables.mutable_channel import \
            mutable_channel_container
        from mmrazor.models.mutables.mutable_channel.units import (
            channel_unit, mutable_channel_unit)
        module_channel_num = mutable_channel_container.module_channel_num
        get_module = channel_unit.get_module
        dyn_map = mutable_channel_unit.default_dynamic_op_map()
        self.model = model
        self.failed: Dict[str, str] = {}
        self.num_channels: Dict[str, int] = {}
        self.flattened: set = set()
        # id(module) -> (module, dynamic class or None, {attr: _CheckMask})
        self._ops: Dict[int, Tuple[nn.Module, Optional[type],
                                   Dict[str, _CheckMask]]] = {}
        self._saved: List[Tuple[nn.Module, type, Optional[nn.Module]]] = []
        # the units name modules by their named_modules() paths
        modules: Dict[str, nn.Module] = dict(named_modules) if \
            named_modules is not None else dict(model.named_modules())
        for unit_name, cfg in units.items():
            n = cfg['init_args']['num_channels']
            planned = []
            try:
                for key, is_out in (('input_related', False),
                                    ('output_related', True)):
                    for ch in cfg['channels'].get(key, []):
                        name = ch['name']
                        module = modules.get(name)
                        if module is None:
                            module = modules[name] = get_module(model, name)
                        dyn = dyn_map.get(type(module))
                        if dyn is not None and shape_only:
                            dyn = _shape_checked(dyn)
                        if dyn is None and \
                                not isinstance(module, DynamicChannelMixin):
                            continue  # not a channel op: nothing to mask
                        total = _channel_num(module, is_out,
                                             module_channel_num)
                        start = ch.get('start', 0)
                        end = ch.get('end', total)
                        num = end - start
                        if num != n and num % n != 0:
                            raise ValueError(
                                f'unit {unit_name}: channel {name}'
                                f"({'out' if is_out else 'in'}) has {num} "
                                "channels, not a multiple of the unit's "
                                f'{n}')
                        if not 0 <= start < end <= total:
                            raise ValueError(f'range ({start}, {end}) out '
                                             f'of [0, {total}]')
                        planned.append(
                            (module, dyn, is_out, total, start, end, num // n))
                self._check_overlaps(planned)
            except Exception as e:  # noqa: BLE001  in report.dropped
                self.failed[unit_name] = f'{type(e).__name__}: {e}'
                continue
            self.num_channels[unit_name] = n
            if any(p[-1] > 1 and isinstance(p[0], nn.Linear) for p in planned):
                self.flattened.add(unit_name)
            for module, dyn, is_out, total, start, end, expand in planned:
                entry = self._ops.get(id(module))
                if entry is None:
                    entry = self._ops[id(module)] = (module, dyn, {})
                attr = _attr_name(module if dyn is None else dyn, is_out)
                holder = entry[2].get(attr)
                if holder is None:
                    holder = entry[2][attr] = _CheckMask(total)
                # same range again: the later unit wins (as in IndexDict)
                holder.segments = sorted(
                    [s for s in holder.segments if s[:2] != (start, end)] +
                    [(start, end, unit_name, expand)])

    def _check_overlaps(self, planned: List[tuple]) -> None:
        """Raise as ``IndexDict`` would for overlapping ranges."""
        for module, dyn, is_out, _, start, end, _ in planned:
            entry = self._ops.get(id(module))
            if entry is None:
                continue
            holder = entry[2].get(
                _attr_name(module if dyn is None else dyn, is_out))
            for s, e, _, _ in holder.segments if holder else ():
                if (s, e) != (start, end) and start < e and s < end:
                    raise KeyError(f'index {(start, end)} overlaps with '
                                   f'{(s, e)}')

    def apply(self) -> None:
        """Swap in the dynamic ops and their masks (all units unpruned)."""
        self.set_choices({})
        for module, dyn, masks in self._ops.values():
            self._saved.append(
                (module, type(module), module._modules.get('mutable_attrs')))
            if dyn is not None:
                # not nn.Module.__setattr__ (slow, nothing to register)
                object.__setattr__(module, '__class__', dyn)
            module._modules['mutable_attrs'] = _MaskTable.fast(masks)

    def restore(self) -> None:
        """Put the original op classes (and mutables) back."""
        for module, cls, mutable_attrs in reversed(self._saved):
            object.__setattr__(module, '__class__', cls)
            if mutable_attrs is None:
                module._modules.pop('mutable_attrs', None)
            else:
                module._modules['mutable_attrs'] = mutable_attrs
        self._saved.clear()

    def set_choices(self, choices: Dict[str, int]) -> None:
        """Keep the first ``choices[unit]`` channels of each unit named
        there, every channel of the others."""
        if not choices:
            for _, _, masks in self._ops.values():
                for holder in masks.values():
                    holder.prefix = holder.num
                    holder.mask = None
            return
        cache: Dict[Tuple[int, int], Tensor] = {}

        def leftmost(num: int, k: int) -> Tensor:
            mask = cache.get((num, k))
            if mask is None:
                mask = cache[(num, k)] = torch.arange(num) < k
            return mask

        for _, _, masks in self._ops.values():
            for holder in masks.values():
                pieces: List[Tuple[int, int]] = []  # (length, kept)
                last = 0
                for start, end, unit, expand in holder.segments:
                    if start > last:
                        pieces.append((start - last, start - last))
                    k = choices.get(unit)
                    num = end - start
                    pieces.append((num, num if k is None else k * expand))
                    last = end
                if last < holder.num:
                    pieces.append((holder.num - last, holder.num - last))
                holder.prefix = _prefix(pieces)
                if holder.prefix == holder.num:
                    holder.mask = None
                elif len(pieces) == 1:
                    holder.mask = leftmost(*pieces[0])
                else:
                    holder.mask = torch.cat([leftmost(*p) for p in pieces])


@functools.lru_cache(maxsize=None)
def _plain_channel_attrs(cls: type) -> bool:
    """Whether ``module_channel_num`` of a ``cls`` instance reads
    ``num_features`` or ``in/out_channels`` from the instance dict (no
    class-level attribute or property of those names, not a Linear or a
    norm it treats specially)."""
    return not issubclass(cls, (nn.Linear, nn.LayerNorm, nn.GroupNorm)) and \
        not any(hasattr(cls, a)
                for a in ('num_features', 'in_channels', 'out_channels'))


def _channel_num(module: nn.Module, is_out: bool, slow) -> int:
    """``module_channel_num(module, is_out)`` (``slow``), reading the
    instance dict where that gives the same (no failing attribute
    lookups through ``nn.Module.__getattr__``)."""
    if _plain_channel_attrs(type(module)):
        d = module.__dict__
        if 'num_features' in d:
            return d['num_features']
        if 'out_channels' in d and 'in_channels' in d:
            return d['out_channels'] if is_out else d['in_channels']
    return slow(module, is_out)


def _attr_name(op: object, is_out: bool) -> str:
    """The op-specific attribute the dynamic op reads the mask of."""
    if isinstance(op, type):
        return _class_attr_name(op, is_out)
    generic = 'out_channels' if is_out else 'in_channels'
    mappings = getattr(op, 'attr_mappings', None) or {}
    return mappings.get(generic, generic)


@functools.lru_cache(maxsize=None)
def _class_attr_name(cls: type, is_out: bool) -> str:
    generic = 'out_channels' if is_out else 'in_channels'
    mappings = getattr(cls, 'attr_mappings', None) or {}
    return mappings.get(generic, generic)


def _prefix(pieces: List[Tuple[int, int]]) -> Optional[int]:
    """Kept prefix length of concatenated first-``k`` pieces, or None."""
    total = 0
    for i, (num, kept) in enumerate(pieces):
        total += kept
        if kept < num:
            return total if all(k == 0 for _, k in pieces[i + 1:]) \
                else None
    return total
