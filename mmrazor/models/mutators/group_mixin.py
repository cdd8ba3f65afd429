# Copyright (c) OpenMMLab. All rights reserved.
"""Building search groups from a supernet (``custom_groups`` / aliases)."""
from collections import Counter
from typing import Dict, List, Optional, Tuple, Type, Union

from torch.nn import Module

from ..mutables.base_mutable import BaseMutable
from ..mutables.derived_mutable import DerivedMutable

GroupKey = Union[str, int]


class GroupMixin:
    """A mixin that builds the search groups of a mutator.

    Rules:

    1. Every entry of ``custom_groups`` is a list of mutable module names
       (paths in the supernet) or aliases; an alias stands for all the
       mutables with that alias. The mutables of one group share one choice.
    2. Mutables with the same alias that are not in a custom group form one
       group.
    3. Every other mutable forms its own group.

    Mutables of a group must have the same type and the same choices.
    Group keys are ``f'{mutable_prefix}_{idx}'`` (``module_0``, ``value_3``)
    with one index counter over all groups, or plain ints when
    ``with_prefix=False``.
    """

    @staticmethod
    def _collect_mutables(
        supernet: Module,
        support_mutables: Union[Type, Tuple[Type,
                                            ...]]) -> Dict[str, BaseMutable]:
        """Collect the source mutables of the supported types by name."""
        name2mutable: Dict[str, BaseMutable] = dict()
        for name, module in supernet.named_modules():
            if isinstance(module, DerivedMutable):
                continue
            if isinstance(module, support_mutables):
                name2mutable[name] = module
        return name2mutable

    def _build_search_groups(
        self,
        supernet: Module,
        support_mutables: Union[Type, Tuple[Type, ...]],
        custom_groups: Optional[List[List[str]]] = None,
        with_prefix: bool = True,
    ) -> Dict[GroupKey, List[BaseMutable]]:
        """Build search groups.

        Args:
            supernet (nn.Module): The supernet.
            support_mutables (type | tuple): The mutable types to manage.
            custom_groups (list[list[str]], optional): Custom groups of
                mutable names or aliases. Defaults to None.
            with_prefix (bool): Use ``'{prefix}_{idx}'`` keys, otherwise
                plain ints. Defaults to True.

        Returns:
            dict: group key -> list of mutables.
        """
        if custom_groups is None:
            custom_groups = []
        if not isinstance(custom_groups, (list, tuple)):
            raise TypeError('custom_groups must be a list of lists of '
                            f'mutable names, got {custom_groups!r}')
        name2mutable = self._collect_mutables(supernet, support_mutables)
        alias2names: Dict[str, List[str]] = dict()
        for name, mutable in name2mutable.items():
            if mutable.alias is not None:
                alias2names.setdefault(mutable.alias, []).append(name)

        grouped: List[List[str]] = []
        used = set()
        for group in custom_groups:
            if isinstance(group, str):
                group = [group]
            names: List[str] = []
            for key in group:
                if key in alias2names:
                    names.extend(alias2names[key])
                elif key in name2mutable:
                    names.append(key)
                else:
                    raise KeyError(
                        f'{key!r} in custom_groups is neither the name nor '
                        'the alias of a supported mutable of the supernet. '
                        f'Names: {sorted(name2mutable)}; aliases: '
                        f'{sorted(alias2names)}')
            names = list(dict.fromkeys(names))
            repeated = [n for n in names if n in used]
            if repeated:
                raise ValueError(f'Mutables {repeated} appear in more than '
                                 'one custom group')
            used.update(names)
            grouped.append(names)

        for alias, names in alias2names.items():
            rest = [n for n in names if n not in used]
            if rest:
                grouped.append(rest)
                used.update(rest)
        for name in name2mutable:
            if name not in used:
                grouped.append([name])
                used.add(name)

        # keep the order of the model
        order = {name: i for i, name in enumerate(name2mutable)}
        grouped.sort(key=lambda names: min(order[n] for n in names))

        search_groups: Dict[GroupKey, List[BaseMutable]] = dict()
        for idx, names in enumerate(grouped):
            mutables = [name2mutable[n] for n in names]
            self._check_group(names, mutables)
            if with_prefix:
                prefix = getattr(mutables[0], 'mutable_prefix', 'mutable')
                key: GroupKey = f'{prefix}_{idx}'
            else:
                key = idx
            search_groups[key] = mutables
        return search_groups

    @staticmethod
    def _check_group(names: List[str], mutables: List[BaseMutable]) -> None:
        types = Counter(type(m).__name__ for m in mutables)
        if len(types) > 1:
            raise ValueError(f'Mutables {names} of one search group have '
                             f'different types: {dict(types)}')
        first = mutables[0]
        if not hasattr(first, 'choices'):
            return
        for name, m in zip(names, mutables):
            if list(m.choices) != list(first.choices):
                raise ValueError(
                    f'Mutables of one search group must have the same '
                    f'choices: {names[0]} has {list(first.choices)} but '
                    f'{name} has {list(m.choices)}')
