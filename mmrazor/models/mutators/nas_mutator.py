# Copyright (c) OpenMMLab. All rights reserved.
"""The generic NAS mutator over module and value mutables."""
from typing import Any, Dict, List, Optional

from torch.nn import Module

from mmrazor.registry import MODELS
from ..mutables.base_mutable import BaseMutable
from ..mutables.mutable_module import MutableModule
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

    @property
    def mutable_class_type(self) -> tuple:
        """tuple: The mutable types managed by this mutator."""
        return (MutableModule, MutableValue)

    def prepare_from_supernet(self, supernet: Module) -> None:
        """Build the search groups of ``supernet``.

        Args:
            supernet (nn.Module): The supernet to be searched.
        """
        self._search_groups = self._build_search_groups(
            supernet, self.mutable_class_type, self._custom_groups,
            **self._group_kwargs())
        if not self._search_groups:
            raise RuntimeError(
                f'{type(self).__name__} found no mutable of types '
                f'{[t.__name__ for t in self.mutable_class_type]} in the '
                f'supernet {type(supernet).__name__}')

    def _group_kwargs(self) -> Dict:
        return dict(with_prefix=True)

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
        choices = dict()
        for key, mutables in self.search_groups.items():
            mutable = mutables[0]
            if kind == 'random':
                if not hasattr(mutable, 'sample_choice'):
                    raise AttributeError(
                        f'Mutable {type(mutable).__name__} of group {key} '
                        'can not sample a random choice')
                choices[key] = mutable.sample_choice()
            else:
                attr = f'{kind}_choice'
                if not hasattr(mutable, attr):
                    raise AttributeError(
                        f'Mutable {type(mutable).__name__} of group {key} '
                        f'has no `{attr}`, so `sample_choices(kind='
                        f'{kind!r})` is not supported.')
                choices[key] = getattr(mutable, attr)
        return choices

    def set_choices(self, choices: Dict[Any, Any]) -> None:
        """Set the choice of every search group.

        Args:
            choices (dict): group key -> choice, with exactly the keys of
                :attr:`search_groups`.
        """
        expected = list(self.search_groups.keys())
        missing = [k for k in expected if k not in choices]
        unknown = [k for k in choices if k not in self.search_groups]
        if missing or unknown:
            raise KeyError(
                f'Invalid choices for {type(self).__name__}: missing keys '
                f'{missing}, unknown keys {unknown}; expected keys are '
                f'{expected}')
        for key, mutables in self.search_groups.items():
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
        """dict: group key -> max choice of the group."""
        return self.sample_choices('max')

    @property
    def min_choices(self) -> Dict[Any, Any]:
        """dict: group key -> min choice of the group."""
        return self.sample_choices('min')

    def set_max_choices(self) -> None:
        """Set every group to its max choice."""
        self.set_choices(self.max_choices)

    def set_min_choices(self) -> None:
        """Set every group to its min choice."""
        self.set_choices(self.min_choices)
