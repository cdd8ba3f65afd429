# Copyright (c) OpenMMLab. All rights reserved.
"""Mixins that make torch ops dynamic (searchable / prunable)."""
import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, Optional, Set, Tuple

import torch
from torch import Tensor, nn

from mmrazor.utils import print_log


def _is_mutable(obj: Any) -> bool:
    from mmrazor.models.mutables.base_mutable import BaseMutable
    return isinstance(obj, BaseMutable)


class DynamicMixin(ABC):
    """Base class of dynamic ops.

    A dynamic op holds mutables in ``mutable_attrs`` (an ``nn.ModuleDict``)
    and computes its forward from their current choices. It can be built
    from a plain op (:meth:`convert_from`) and converted back to the
    equivalent plain op with sliced weights (:meth:`to_static_op`).

    Attributes:
        accepted_mutable_attrs (set): The attributes that accept a mutable.
        attr_mappings (dict): Maps generic names (``in_channels``,
            ``out_channels``) to op-specific attribute names.
    """

    accepted_mutable_attrs: Set[str] = set()
    attr_mappings: Dict[str, str] = dict()

    def _init_mutable_attrs(self) -> None:
        if 'mutable_attrs' not in self._modules:
            self.mutable_attrs = nn.ModuleDict()

    def _map_attr(self, attr: str) -> str:
        return self.attr_mappings.get(attr, attr)

    def register_mutable_attr(self, attr: str, mutable: nn.Module) -> None:
        """Register ``mutable`` to the searchable attribute ``attr``.

        Args:
            attr (str): The attribute name (generic or op-specific).
            mutable (BaseMutable): The mutable.

        Raises:
            ValueError: ``attr`` is not accepted by this op.
        """
        mapped = self._map_attr(attr)
        if mapped not in self.accepted_mutable_attrs:
            raise ValueError(
                f'{type(self).__name__} does not accept a mutable for '
                f'`{attr}`; accepted: {sorted(self.accepted_mutable_attrs)}')
        if not _is_mutable(mutable):
            raise TypeError(f'mutable for `{attr}` must be a BaseMutable, '
                            f'got {type(mutable).__name__}')
        self._init_mutable_attrs()
        self.mutable_attrs[mapped] = mutable

    def get_mutable_attr(self, attr: str) -> Optional[nn.Module]:
        """The mutable registered for ``attr`` or None."""
        mapped = self._map_attr(attr)
        if 'mutable_attrs' not in self._modules:
            return None
        return self.mutable_attrs[mapped] if mapped in \
            self.mutable_attrs else None

    @classmethod
    @abstractmethod
    def convert_from(cls, module: nn.Module) -> 'DynamicMixin':
        """Build the dynamic op from a plain ``module`` (weights copied)."""

    @property
    @abstractmethod
    def static_op_factory(self):
        """The plain op class corresponding to this dynamic op."""

    @abstractmethod
    def to_static_op(self) -> nn.Module:
        """The equivalent plain op with weights sliced by the choices."""

    def check_if_mutables_fixed(self) -> None:
        """Warn about mutables that are not fixed before conversion.

        Channel mutables are converted with their current choice, so a
        non-fixed channel mutable is fine; other mutables must be fixed.

        Raises:
            RuntimeError: A non-channel mutable is not fixed.
        """
        from mmrazor.models.mutables.base_mutable import BaseMutable
        for name, mutable in getattr(self, 'mutable_attrs', {}).items():
            if not isinstance(mutable, BaseMutable) or mutable.is_fixed:
                continue
            if hasattr(mutable, 'current_mask'):
                continue
            raise RuntimeError(
                f'mutable `{name}` of {type(self).__name__} is not fixed; '
                'fix it before converting to a static op')


class DynamicChannelMixin(DynamicMixin):
    """Dynamic ops whose channels are masked by mutable channels."""

    accepted_mutable_attrs = {'in_channels', 'out_channels'}

    def get_mask(self, attr: str, num: int) -> Optional[Tensor]:
        """Bool mask of the mutable registered for ``attr`` or None.

        Args:
            attr (str): Generic or op-specific attribute name.
            num (int): Expected mask length.

        Returns:
            Tensor | None: A bool mask, None when nothing is registered or
            every channel is kept.
        """
        return self.get_mask_and_prefix(attr, num)[0]

    def get_mask_and_prefix(
            self, attr: str,
            num: int) -> Tuple[Optional[Tensor], Optional[int]]:
        """The mask of :meth:`get_mask` and, when it keeps exactly its
        first ``k`` entries, ``k`` (a slice ``[:k]``, a view, then equals
        indexing by the mask). One sum tells both; a mutable that knows
        them offers ``current_mask_and_prefix()`` (no reduction then).

        Args:
            attr (str): Generic or op-specific attribute name.
            num (int): Expected mask length.

        Returns:
            Tuple[Tensor | None, int | None]: The bool mask (None when
            nothing is registered or every channel is kept) and the
            prefix length (None when the mask is not a prefix).
        """
        mutable = self.get_mutable_attr(attr)
        if mutable is None:
            return None, None
        known = getattr(type(mutable), 'current_mask_and_prefix', None)
        if known is not None:
            # the mutable knows its prefix (no reduction needed)
            mask, k = known(mutable)
            if k == num:
                return None, None
            if mask.numel() != num:
                raise RuntimeError(
                    f'{type(self).__name__}: mask of `{attr}` has '
                    f'{mask.numel()} entries, expected {num}')
            return mask, k
        mask = mutable.current_mask
        if mask.numel() != num:
            raise RuntimeError(f'{type(self).__name__}: mask of `{attr}` has '
                               f'{mask.numel()} entries, expected {num}')
        if mask.dtype != torch.bool:
            mask = mask.to(torch.bool)
        k = int(mask.sum())
        if k == num:
            return None, None
        if bool(mask[:k].all()):
            return mask, k
        return mask, None

    @classmethod
    def convert_from(cls, module: nn.Module) -> 'DynamicChannelMixin':
        """Take over ``module`` (its parameters and buffers are reused,
        nothing is re-initialised)."""
        return cls._adopt(module)

    @staticmethod
    def _copy_state(src: nn.Module, dst: nn.Module) -> nn.Module:
        dst.load_state_dict(src.state_dict(), strict=False)
        dst.train(src.training)
        return dst

    @classmethod
    def _adopt(cls, module: nn.Module):
        """A ``cls`` instance that takes over ``module``'s attributes,
        parameters and buffers (no re-initialisation, no copy)."""
        new = cls.__new__(cls)
        new.__dict__.update(module.__dict__)
        new._parameters = type(module._parameters)(module._parameters)
        new._buffers = type(module._buffers)(module._buffers)
        new._modules = type(module._modules)(module._modules)
        new.mutable_attrs = nn.ModuleDict()
        return new


class DynamicBatchNormMixin(DynamicChannelMixin):
    """Dynamic BatchNorm: masks ``num_features``."""

    accepted_mutable_attrs = {'num_features'}
    attr_mappings = {
        'in_channels': 'num_features',
        'out_channels': 'num_features'
    }

    def get_dynamic_params(
        self
    ) -> Tuple[Optional[Tensor], Optional[Tensor], Optional[Tensor],
               Optional[Tensor], Optional[Tensor]]:
        """(running_mean, running_var, weight, bias, mask) of the choice."""
        mask, k = self.get_mask_and_prefix('num_features', self.num_features)
        rm, rv = self.running_mean, self.running_var
        w, b = self.weight, self.bias
        if mask is None:
            return rm, rv, w, b, None
        if k is not None:
            # views: no copy
            return tuple(t[:k] if t is not None else None
                         for t in (rm, rv, w, b)) + (mask, )
        rm = rm[mask] if rm is not None else None
        rv = rv[mask] if rv is not None else None
        w = w[mask] if w is not None else None
        b = b[mask] if b is not None else None
        return rm, rv, w, b, mask

    def _dynamic_bn_forward(self, x: Tensor) -> Tensor:
        rm, rv, w, b, mask = self.get_dynamic_params()
        if self.momentum is None:
            exp_avg = 0.0
        else:
            exp_avg = self.momentum
        if self.training and self.track_running_stats and \
                self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                exp_avg = 1.0 / float(self.num_batches_tracked)
        bn_training = self.training or (rm is None and rv is None)
        use_stats = not self.training or self.track_running_stats
        out = nn.functional.batch_norm(x, rm if use_stats else None,
                                       rv if use_stats else None, w, b,
                                       bn_training, exp_avg, self.eps)
        if mask is not None and self.training and self.track_running_stats \
                and rm is not None and \
                rm.data_ptr() != self.running_mean.data_ptr():
            # masked copies (not prefix views): write the statistics back
            with torch.no_grad():
                self.running_mean[mask] = rm
                self.running_var[mask] = rv
        return out

    def to_static_op(self) -> nn.Module:
        self.check_if_mutables_fixed()
        rm, rv, w, b, mask = self.get_dynamic_params()
        num = self.num_features if mask is None else int(mask.sum())
        op = self.static_op_factory(
            num,
            eps=self.eps,
            momentum=self.momentum,
            affine=self.affine,
            track_running_stats=self.track_running_stats)
        with torch.no_grad():
            if w is not None:
                op.weight.copy_(w)
                op.bias.copy_(b)
            if rm is not None:
                op.running_mean.copy_(rm)
                op.running_var.copy_(rv)
                op.num_batches_tracked.copy_(self.num_batches_tracked)
        op.train(self.training)
        return op


class DynamicLinearMixin(DynamicChannelMixin):
    """Dynamic Linear: masks ``in_features`` / ``out_features``."""

    accepted_mutable_attrs = {'in_features', 'out_features'}
    attr_mappings = {
        'in_channels': 'in_features',
        'out_channels': 'out_features'
    }

    def get_dynamic_params(self) -> Tuple[Tensor, Optional[Tensor]]:
        """(weight, bias) sliced by the current masks."""
        in_mask, k_in = self.get_mask_and_prefix('in_features',
                                                 self.in_features)
        out_mask, k_out = self.get_mask_and_prefix('out_features',
                                                   self.out_features)
        weight, bias = self.weight, self.bias
        if k_out is not None:
            # kept channels are a prefix: views, no copy
            weight = weight[:k_out]
            bias = bias[:k_out] if bias is not None else None
            out_mask = None
        if k_in is not None:
            weight = weight[:, :k_in]
            in_mask = None
        if out_mask is not None:
            weight = weight[out_mask]
            bias = bias[out_mask] if bias is not None else None
        if in_mask is not None:
            weight = weight[:, in_mask]
        return weight, bias

    def to_static_op(self) -> nn.Module:
        self.check_if_mutables_fixed()
        weight, bias = self.get_dynamic_params()
        op = self.static_op_factory(
            weight.shape[1], weight.shape[0], bias=bias is not None)
        with torch.no_grad():
            op.weight.copy_(weight)
            if bias is not None:
                op.bias.copy_(bias)
        op.train(self.training)
        return op


class DynamicLayerNormMixin(DynamicChannelMixin):
    """Dynamic LayerNorm over the last dim: masks ``num_features``."""

    accepted_mutable_attrs = {'num_features'}
    attr_mappings = {
        'in_channels': 'num_features',
        'out_channels': 'num_features',
        'embed_dims': 'num_features'
    }

    def get_dynamic_params(self):
        """(normalized_shape, weight, bias) of the current choice."""
        num = self.normalized_shape[-1]
        mask = self.get_mask('num_features', num)
        w, b = self.weight, self.bias
        shape = tuple(self.normalized_shape)
        if mask is not None:
            w = w[mask] if w is not None else None
            b = b[mask] if b is not None else None
            shape = shape[:-1] + (int(mask.sum()), )
        return shape, w, b

    def to_static_op(self) -> nn.Module:
        self.check_if_mutables_fixed()
        shape, w, b = self.get_dynamic_params()
        op = self.static_op_factory(
            shape, eps=self.eps, elementwise_affine=self.elementwise_affine)
        with torch.no_grad():
            if w is not None:
                op.weight.copy_(w)
            if b is not None and op.bias is not None:
                op.bias.copy_(b)
        op.train(self.training)
        return op


class DynamicGroupNormMixin(DynamicChannelMixin):
    """Dynamic GroupNorm: masks ``num_channels`` by whole groups (the
    statistics of a group are over all its channels, so a group is kept
    or dropped as a whole)."""

    accepted_mutable_attrs = {'num_channels'}
    attr_mappings = {
        'in_channels': 'num_channels',
        'out_channels': 'num_channels'
    }

    def get_dynamic_params(
            self) -> Tuple[int, Optional[Tensor], Optional[Tensor]]:
        """(num_groups, weight, bias) of the kept groups.

        Raises:
            ValueError: The mask keeps part of a group, or no group.
        """
        mask, k = self.get_mask_and_prefix('num_channels', self.num_channels)
        w, b = self.weight, self.bias
        if mask is None:
            return self.num_groups, w, b
        per_group = self.num_channels // self.num_groups
        kept = mask.view(self.num_groups, per_group)
        whole = kept.all(1)
        groups = int(whole.sum())
        if groups == 0 or bool((kept.any(1) != whole).any()):
            raise ValueError(
                f'{type(self).__name__}({self.num_groups} groups of '
                f'{per_group} channels): the channel mask must keep whole '
                'groups and at least one; kept per group: '
                f'{kept.sum(1).tolist()}')
        if k is not None:
            sl = slice(0, k)
            return groups, (w[sl] if w is not None else None), \
                (b[sl] if b is not None else None)
        return groups, (w[mask] if w is not None else None), \
            (b[mask] if b is not None else None)

    def to_static_op(self) -> nn.Module:
        self.check_if_mutables_fixed()
        groups, w, b = self.get_dynamic_params()
        per_group = self.num_channels // self.num_groups
        op = self.static_op_factory(
            groups, groups * per_group, eps=self.eps, affine=self.affine)
        if b is None and getattr(op, 'bias', None) is not None:
            op.register_parameter('bias', None)  # GroupNorm(bias=False)
        with torch.no_grad():
            if w is not None:
                op.weight.copy_(w)
            if b is not None:
                op.bias.copy_(b)
        op.train(self.training)
        return op


def warn_unfixed(name: str) -> None:
    """Log that ``name`` is converted with a non-fixed mutable."""
    print_log(
        f'{name}: converting with non-fixed mutables',
        logger='current',
        level=logging.DEBUG)
