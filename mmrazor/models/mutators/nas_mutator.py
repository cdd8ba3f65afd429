# Copyright (c) OpenMMLab. All rights reserved.
"""The generic NAS mutator over module and value mutables."""
from typing import Any, Dict, List, Optional

import torch
from torch import nn
from torch.nn import Module

from mmrazor.registry import MODELS
from ..mutables.base_mutable import BaseMutable
from ..mutables.mutable_module import DiffMutableModule, MutableModule
from ..mutables.mutable_value import MutableValue
from .base_mutator import BaseMutator
from .group_mixin import GroupMixin

_KINDS = ('random', 'max', 'min')


@MODELS.register_module()
class NasMutator(BaseMutator[BaseMutable], GroupMixin):
    """The generic NAS mutator.

    It manages every :class:`MutableModule` and :class:`MutableValue` of a
    supernet, grouped by :class:`GroupMixin` (keys like ``module_0``,
    ``value_3``). A sampled subnet is a dict ``{group_key: choice}``.

    If the supernet holds dynamic channel ops whose
    :class:`MutableChannelContainer` s carry mutable channels, one channel
    group ``channel_{i}`` per source mutable channel is added (built with
    :meth:`OneShotMutableChannelUnit.init_from_predefined_model`; the group
    holds the unit, whose choices are the mutable's candidates).

    For differentiable mutables (:class:`DiffMutableModule`, DARTS),
    :meth:`prepare_arch_params` creates one architecture parameter per
    search group and binds it to the mutables' forward; afterwards
    ``sample_choices()`` returns ``mutable.sample_choice(arch_param)``
    (argmax / top-k) for those groups.

    Args:
        custom_groups (list[list[str]], optional): Custom groups of mutable
            names or aliases; the mutables of a group share one choice.
            Defaults to None.
        init_cfg (dict, optional): The config to control the
            initialization. Defaults to None.

    Examples:
        >>> import torch.nn as nn
        >>> from mmrazor.models.mutables import OneShotMutableOP
        >>> from mmrazor.models.mutators import NasMutator
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.op1 = OneShotMutableOP(nn.ModuleDict(
        ...             {'a': nn.Identity(), 'b': nn.ReLU()}))
        ...         self.op2 = OneShotMutableOP(nn.ModuleDict(
        ...             {'a': nn.Identity(), 'b': nn.ReLU()}))
        >>> mutator = NasMutator(custom_groups=[['op1', 'op2']])
        >>> mutator.prepare_from_supernet(Net())
        >>> list(mutator.search_groups)
        ['module_0']
    """

    def __init__(self,
                 custom_groups: Optional[List[List[str]]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self._custom_groups = custom_groups
        self._search_groups: Optional[Dict[Any, List[BaseMutable]]] = None
        self.mutable_units: List = []

    @property
    def mutable_class_type(self) -> tuple:
        """tuple: The mutable types managed by this mutator."""
        return (MutableModule, MutableValue)

    def prepare_from_supernet(self, supernet: Module) -> None:
        """Build the search groups of ``supernet``.

        Args:
            supernet (nn.Module): The supernet to be searched.
        """
        groups = self._build_search_groups(supernet, self.mutable_class_type,
                                           self._custom_groups,
                                           **self._group_kwargs())
        if self._with_channel_groups():
            groups.update(self._build_channel_groups(supernet))
        self._search_groups = groups
        if not self._search_groups:
            raise RuntimeError(
                f'{type(self).__name__} found no mutable of types '
                f'{[t.__name__ for t in self.mutable_class_type]} in the '
                f'supernet {type(supernet).__name__}')

    def _group_kwargs(self) -> Dict:
        return dict(with_prefix=True)

    def _with_channel_groups(self) -> bool:
        """Whether mutable channels of dynamic ops get search groups."""
        return True

    def _build_channel_groups(self, supernet: Module) -> Dict[str, List]:
        """One ``channel_{i}`` group per mutable channel registered in the
        :class:`MutableChannelContainer` s of the supernet's dynamic ops.

        Args:
            supernet (nn.Module): The supernet.

        Returns:
            dict: ``{'channel_i': [unit]}`` (empty without dynamic ops).
        """
        from ..architectures.dynamic_ops import DynamicChannelMixin
        if not any(
                isinstance(m, DynamicChannelMixin)
                for m in supernet.modules()):
            return dict()
        from ..mutables.mutable_channel import (OneShotMutableChannel,
                                                OneShotMutableChannelUnit)
        units = OneShotMutableChannelUnit.init_from_predefined_model(supernet)
        groups: Dict[str, List] = dict()
        self.mutable_units = []
        for unit in units:
            mutable = unit.mutable_channel
            if mutable.is_fixed:
                continue
            if isinstance(mutable, OneShotMutableChannel):
                # the unit chooses among the mutable's own candidates
                unit.choice_mode = mutable.choice_mode
                unit.candidate_choices = list(mutable.candidate_choices)
            else:
                unit.choice_mode = 'number'
                unit.candidate_choices = list(range(1, unit.num_channels + 1))
            unit.current_choice = unit.max_choice
            groups[f'channel_{len(groups)}'] = [unit]
            self.mutable_units.append(unit)
        return groups

    @property
    def search_groups(self) -> Dict[Any, List[BaseMutable]]:
        """dict: group key -> list of mutables sharing one choice."""
        if self._search_groups is None:
            raise RuntimeError(
                'Call `prepare_from_supernet` first before using the search '
                'groups of the mutator.')
        return self._search_groups

    # choices
    def sample_choices(self, kind: str = 'random') -> Dict[Any, Any]:
        """Sample choices for every search group.

        Args:
            kind (str): ``'random'``, ``'max'`` or ``'min'``.
                Defaults to ``'random'``.

        Returns:
            dict: group key -> choice.
        """
        if kind not in _KINDS:
            raise ValueError(f'kind must be one of {_KINDS}, got {kind!r}')
        arch_params = self.arch_params
        choices = dict()
        for key, mutables in self.search_groups.items():
            mutable = mutables[0]
            if arch_params is not None and str(key) in arch_params:
                choices[key] = mutable.sample_choice(arch_params[str(key)])
            elif isinstance(mutable, DiffMutableModule):
                raise RuntimeError(
                    f'Group {key} holds differentiable mutables '
                    f'({type(mutable).__name__}); call `prepare_arch_params()`'
                    ' before sampling their choices.')
            elif kind == 'random':
                if not hasattr(mutable, 'sample_choice'):
                    raise AttributeError(
                        f'Mutable {type(mutable).__name__} of group {key} '
                        'can not sample a random choice')
                choices[key] = mutable.sample_choice()
            else:
                attr = f'{kind}_choice'
                if not hasattr(mutable, attr):
                    candidates = getattr(mutable, 'choices', None)
                    raise AttributeError(
                        f'Mutable {type(mutable).__name__} of group {key} '
                        f'(choices {candidates}) has no `{attr}`: its '
                        'choices have no order, so `sample_choices(kind='
                        f'{kind!r})` is not supported; give this group a '
                        'choice with `set_choices` instead.')
                choices[key] = getattr(mutable, attr)
        return choices

    def set_choices(self, choices: Dict[Any, Any]) -> None:
        """Set the choice of every search group.

        Args:
            choices (dict): group key -> choice, with exactly the keys of
                :attr:`search_groups`.
        """
        search_groups = self.search_groups
        if choices.keys() != search_groups.keys():
            expected = list(search_groups.keys())
            missing = [k for k in expected if k not in choices]
            unknown = [k for k in choices if k not in search_groups]
            raise KeyError(
                f'Invalid choices for {type(self).__name__}: missing keys '
                f'{missing}, unknown keys {unknown}; expected keys are '
                f'{expected}')
        for key, mutables in search_groups.items():
            choice = choices[key]
            for mutable in mutables:
                mutable.current_choice = choice

    @property
    def current_choices(self) -> Dict[Any, Any]:
        """dict: group key -> current choice of the group."""
        return {
            key: mutables[0].current_choice
            for key, mutables in self.search_groups.items()
        }

    @property
    def max_choices(self) -> Dict[Any, Any]:
        """dict: group key -> max choice of the group.

        Raises:
            TypeError: A group's mutable has no max choice (e.g. the
                unordered candidate ops of ``OneShotMutableOP``).
        """
        return self._ordered_choices('max')

    @property
    def min_choices(self) -> Dict[Any, Any]:
        """dict: group key -> min choice of the group.

        Raises:
            TypeError: A group's mutable has no min choice.
        """
        return self._ordered_choices('min')

    def _ordered_choices(self, kind: str) -> Dict[Any, Any]:
        try:
            return self.sample_choices(kind)
        except AttributeError as error:
            # an AttributeError escaping a property is replaced by
            # nn.Module's "object has no attribute '<kind>_choices'"
            raise TypeError(
                f'{type(self).__name__}.{kind}_choices: {error}') from error

    def set_max_choices(self) -> None:
        """Set every group to its max choice."""
        self.set_choices(self.max_choices)

    def set_min_choices(self) -> None:
        """Set every group to its min choice."""
        self.set_choices(self.min_choices)

    # differentiable mutables
    @property
    def arch_params(self) -> Optional[nn.ParameterDict]:
        """nn.ParameterDict | None: ``{str(group_key): arch_param}`` for the
        groups of differentiable mutables, after
        :meth:`prepare_arch_params`."""
        return self._modules.get('arch_params')

    @staticmethod
    def build_arch_param(num_choices: int) -> nn.Parameter:
        """A new architecture parameter, ``randn(num_choices) * 1e-3``.

        Args:
            num_choices (int): The number of choices.

        Returns:
            nn.Parameter: The parameter.
        """
        return nn.Parameter(torch.randn(num_choices) * 1e-3)

    def prepare_arch_params(self) -> nn.ParameterDict:
        """Create one architecture parameter per search group of
        :class:`DiffMutableModule` s (size: the group's number of choices)
        and bind it to the forward of every mutable of the group
        (:meth:`DiffMutableModule.set_forward_args`).

        Returns:
            nn.ParameterDict: ``{str(group_key): arch_param}`` (also
            :attr:`arch_params`, registered as parameters of the mutator).
        """
        params = nn.ParameterDict()
        for key, mutables in self.search_groups.items():
            if not isinstance(mutables[0], DiffMutableModule):
                continue
            sizes = {m.num_arch_choices for m in mutables}
            if len(sizes) != 1:
                raise ValueError(f'Mutables of group {key} have different '
                                 f'numbers of choices: {sorted(sizes)}')
            params[str(key)] = self.build_arch_param(sizes.pop())
        if len(params) == 0:
            raise RuntimeError(
                f'{type(self).__name__}.prepare_arch_params: the supernet '
                'has no differentiable mutable (DiffMutableModule)')
        # registered as a child module named ``arch_params`` (state-dict
        # keys ``arch_params.<group>``); read through the property
        self._modules['arch_params'] = params
        self.modify_supernet_forward(params)
        return params

    def modify_supernet_forward(self, arch_params: nn.ParameterDict) -> None:
        """Bind each group's architecture parameter to its mutables.

        Args:
            arch_params (nn.ParameterDict): ``{str(group_key): param}``.
        """
        for key, mutables in self.search_groups.items():
            if str(key) not in arch_params:
                continue
            for mutable in mutables:
                mutable.set_forward_args(arch_param=arch_params[str(key)])
