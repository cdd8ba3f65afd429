# Copyright (c) OpenMMLab. All rights reserved.
"""Mutables derived from other mutables (expand, divide, concat, same)."""
import copy
import inspect
import itertools
import types
import warnings
from functools import partial
from typing import (Any, Callable, Dict, Iterable, List, Optional, Set, Union)

import torch
from torch import Tensor

from mmrazor.models.utils import make_divisible
from mmrazor.utils.typing import DumpChosen
from .base_mutable import CHOICE_TYPE, BaseMutable


def _has_mask(mutable: Any) -> bool:
    """Whether ``mutable`` provides a channel mask."""
    if isinstance(mutable, DerivedMutable):
        return mutable.mask_fn is not None
    return hasattr(type(mutable), 'current_mask')


def _current_value(mutable: Any) -> Any:
    """The number a derivation works on.

    Channel mutables (those with a mask) contribute their number of
    activated channels (their choice may be a ratio or a mask); other
    mutables contribute their ``current_choice``.
    """
    if _has_mask(mutable):
        return int(mutable.current_mask.sum().item())
    return mutable.current_choice


def _ratio_value(ratio: Union[int, float, BaseMutable]) -> Union[int, float]:
    if isinstance(ratio, BaseMutable):
        return ratio.current_choice
    return ratio


def _max_ratio(ratio: Union[int, float, BaseMutable]) -> Union[int, float]:
    if isinstance(ratio, BaseMutable):
        if hasattr(ratio, 'max_choice'):
            return ratio.max_choice
        return max(ratio.choices)
    return ratio


def _min_ratio(ratio: Union[int, float, BaseMutable]) -> Union[int, float]:
    if isinstance(ratio, BaseMutable):
        if hasattr(ratio, 'min_choice'):
            return ratio.min_choice
        return min(ratio.choices)
    return ratio


def _leftmost_mask(num: int, num_true: int, device: torch.device) -> Tensor:
    mask = torch.zeros(num, dtype=torch.bool, device=device)
    mask[:num_true] = True
    return mask


def _expand_choice_fn(
        mutable: BaseMutable, expand_ratio: Union[int, float,
                                                  BaseMutable]) -> Callable:

    def fn():
        return int(_current_value(mutable) * _ratio_value(expand_ratio))

    return fn


def _expand_mask_fn(mutable: BaseMutable,
                    expand_ratio: Union[int, float, BaseMutable]) -> Callable:

    # the max ratio at derivation time: fixing the ratio mutable later
    # (which narrows its choices) must not shrink the mask
    max_ratio = _max_ratio(expand_ratio)

    def fn():
        mask = mutable.current_mask
        num = int(mask.numel() * max_ratio)
        num_true = int(mask.sum().item() * _ratio_value(expand_ratio))
        return _leftmost_mask(num, num_true, mask.device)

    return fn


def _divide_choice_fn(mutable: BaseMutable, ratio: Union[int, float],
                      divisor: int) -> Callable:

    def fn():
        return make_divisible(_current_value(mutable) / ratio, divisor)

    return fn


def _divide_mask_fn(mutable: BaseMutable, ratio: Union[int, float],
                    divisor: int) -> Callable:

    def fn():
        mask = mutable.current_mask
        num = make_divisible(mask.numel() / ratio, divisor)
        num_true = make_divisible(mask.sum().item() / ratio, divisor)
        return _leftmost_mask(num, min(num, num_true), mask.device)

    return fn


def _concat_choice_fn(mutables: Iterable[BaseMutable]) -> Callable:

    def fn():
        return sum(_current_value(m) for m in mutables)

    return fn


def _concat_mask_fn(mutables: Iterable[BaseMutable]) -> Callable:

    def fn():
        return torch.cat([m.current_mask for m in mutables])

    return fn


class DerivedMethodMixin:
    """A mixin that gives a mutable the ``derive_*_mutable`` methods.

    The derived mutables follow the source mutable: when the source's
    choice changes, the derived choice (and mask, for channel mutables)
    changes too.
    """

    def derive_same_mutable(self) -> 'DerivedMutable':
        """Derive a mutable with the same choice (and mask) as ``self``.

        Returns:
            DerivedMutable: The derived mutable.
        """
        return self.derive_expand_mutable(1)

    def derive_expand_mutable(
            self, expand_ratio: Union[int, float,
                                      BaseMutable]) -> 'DerivedMutable':
        """Derive a mutable whose choice is ``choice * expand_ratio``.

        Args:
            expand_ratio (int | float | BaseMutable): The ratio; a mutable
                ratio (e.g. an ``OneShotMutableValue``) is followed too.

        Returns:
            DerivedMutable: The derived mutable. For channel mutables the
            mask has ``num_channels * max_ratio`` entries with the leftmost
            ``activated * ratio`` switched on.
        """
        if not isinstance(expand_ratio, (int, float, BaseMutable)):
            raise TypeError('expand_ratio must be an int, a float or a '
                            f'mutable, got {type(expand_ratio).__name__}')
        choice_fn = _expand_choice_fn(self, expand_ratio)  # type: ignore
        mask_fn = _expand_mask_fn(self, expand_ratio) \
            if _has_mask(self) else None  # type: ignore
        return DerivedMutable(choice_fn=choice_fn, mask_fn=mask_fn)

    def derive_divide_mutable(self,
                              ratio: Union[int, float],
                              divisor: int = 8) -> 'DerivedMutable':
        """Derive a mutable whose choice is
        ``make_divisible(choice / ratio, divisor)``.

        Args:
            ratio (int | float): The divide ratio.
            divisor (int): The divisor of :func:`make_divisible`.
                Defaults to 8.

        Returns:
            DerivedMutable: The derived mutable.
        """
        if not isinstance(ratio, (int, float)) or ratio <= 0:
            raise ValueError(f'ratio must be a positive number, got {ratio}')
        choice_fn = _divide_choice_fn(self, ratio, divisor)  # type: ignore
        mask_fn = _divide_mask_fn(self, ratio, divisor) \
            if _has_mask(self) else None  # type: ignore
        return DerivedMutable(choice_fn=choice_fn, mask_fn=mask_fn)

    @staticmethod
    def derive_concat_mutable(
            mutables: Iterable[BaseMutable]) -> 'DerivedMutable':
        """Derive a mutable whose choice is the sum of the choices of
        ``mutables`` (and whose mask is the concatenation of their masks).

        Args:
            mutables (Iterable[BaseMutable]): The mutables to concatenate.

        Returns:
            DerivedMutable: The derived mutable.
        """
        mutables = list(mutables)
        if not mutables:
            raise ValueError('derive_concat_mutable needs at least one '
                             'mutable')
        for m in mutables:
            if not isinstance(m, BaseMutable):
                raise TypeError('derive_concat_mutable expects mutables, got '
                                f'{type(m).__name__}')
        has_masks = [_has_mask(m) for m in mutables]
        if any(has_masks) and not all(has_masks):
            raise RuntimeError('Either all or none of the mutables to '
                               'concatenate must have a `current_mask`.')
        mask_fn = _concat_mask_fn(mutables) if all(has_masks) else None
        return DerivedMutable(
            choice_fn=_concat_choice_fn(mutables), mask_fn=mask_fn)


def _trace_mutables(obj: Any, found: Set[BaseMutable],
                    visited: Set[int]) -> None:
    """Collect the source mutables referenced by ``obj`` (closures, bound
    methods, partials and containers are followed)."""
    if id(obj) in visited:
        return
    visited.add(id(obj))
    if isinstance(obj, DerivedMutable):
        found.update(obj.source_mutables)
    elif isinstance(obj, BaseMutable):
        found.add(obj)
    elif isinstance(obj, types.MethodType):
        _trace_mutables(obj.__self__, found, visited)
        _trace_mutables(obj.__func__, found, visited)
    elif isinstance(obj, partial):
        _trace_mutables(obj.func, found, visited)
        for arg in itertools.chain(obj.args, obj.keywords.values()):
            _trace_mutables(arg, found, visited)
    elif inspect.isfunction(obj):
        for cell in obj.__closure__ or ():
            try:
                content = cell.cell_contents
            except ValueError:  # empty cell
                continue
            _trace_mutables(content, found, visited)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            _trace_mutables(item, found, visited)
    elif isinstance(obj, dict):
        for item in obj.values():
            _trace_mutables(item, found, visited)


def _deepcopy_callable(fn: Any, memo: Dict) -> Any:
    """Deep-copy a closure so that it refers to the copied mutables.

    ``copy.deepcopy`` treats functions as atomic, so a deep-copied model
    would otherwise keep deriving from the *original* mutables.
    """
    if fn is None:
        return None
    if inspect.isfunction(fn) and fn.__closure__:
        cells = tuple(
            types.CellType(copy.deepcopy(c.cell_contents, memo))
            for c in fn.__closure__)
        new_fn = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__,
                                    fn.__defaults__, cells)
        new_fn.__kwdefaults__ = fn.__kwdefaults__
        new_fn.__dict__.update(fn.__dict__)
        new_fn.__qualname__ = fn.__qualname__
        return new_fn
    return copy.deepcopy(fn, memo)


class DerivedMutable(BaseMutable[CHOICE_TYPE, CHOICE_TYPE],
                     DerivedMethodMixin):
    """Class for derived mutable.

    A derived mutable is a mutable derived from other mutables that has
    ``current_choice`` and ``current_mask`` attributes (if any).

    Note:
        A derived mutable does not have its own search space, so it is not
        legal to modify its ``current_choice`` or ``current_mask`` directly.
        The only way to modify them is by modifying ``current_choice`` or
        ``current_mask`` in the corresponding source mutables.

    Args:
        choice_fn (callable): A closure that controls how to generate
            ``current_choice``.
        mask_fn (callable, optional): A closure that controls how to
            generate ``current_mask``. Defaults to None.
        source_mutables (iterable, optional): Specify source mutables for
            this derived mutable. If the argument is None, source mutables
            are traced automatically by parsing the mutables in closure
            variables. Defaults to None.
        alias (str, optional): alias of the MUTABLE. Defaults to None.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``. Defaults to None.

    Examples:
        >>> from mmrazor.models.mutables import OneShotMutableValue
        >>> mutable_value = OneShotMutableValue(value_list=[3, 4, 5])
        >>> derived = mutable_value * 2
        >>> derived.current_choice
        10
        >>> mutable_value.current_choice = 3
        >>> derived.current_choice
        6
        >>> len(derived.source_mutables)
        1
    """

    def __init__(self,
                 choice_fn: Callable,
                 mask_fn: Optional[Callable] = None,
                 source_mutables: Optional[Iterable[BaseMutable]] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(alias=alias, init_cfg=init_cfg)
        if not callable(choice_fn):
            raise TypeError('choice_fn of DerivedMutable must be callable')
        if mask_fn is not None and not callable(mask_fn):
            raise TypeError('mask_fn of DerivedMutable must be callable')
        self.choice_fn = choice_fn
        self.mask_fn = mask_fn

        if source_mutables is None:
            found: Set[BaseMutable] = set()
            visited: Set[int] = set()
            _trace_mutables(choice_fn, found, visited)
            if mask_fn is not None:
                _trace_mutables(mask_fn, found, visited)
            if not found:
                raise RuntimeError(
                    'Can not find source mutables automatically in the '
                    'closures of choice_fn/mask_fn; please pass '
                    '`source_mutables` explicitly.')
            source_mutables = found
        else:
            source_mutables = set(source_mutables)
            for m in source_mutables:
                if not self.is_source_mutable(m):
                    raise ValueError(
                        'Expect all elements of source_mutables to be '
                        'source mutables (not derived mutables), got '
                        f'{type(m).__name__}')
        # a plain set: the sources live elsewhere in the module tree and
        # must not be registered as children of this module
        self._source_mutables = set(source_mutables)

    @property
    def source_mutables(self) -> Set[BaseMutable]:
        """Set[BaseMutable]: The source mutables of this derived mutable."""
        return self._source_mutables

    @staticmethod
    def is_source_mutable(mutable: object) -> bool:
        """Judge whether an object is a source mutable (not derived).

        Args:
            mutable (object): An object.

        Returns:
            bool: Whether the object is a source mutable.
        """
        return isinstance(mutable, BaseMutable) and \
            not isinstance(mutable, DerivedMutable)

    # choice and mask
    @property
    def current_choice(self) -> Any:
        """Current choice of derived mutable."""
        return self.choice_fn()

    @current_choice.setter
    def current_choice(self, choice: Any) -> None:
        raise RuntimeError(
            'Setting `current_choice` of a DerivedMutable is not legal; '
            'change the choices of its source mutables instead.')

    @property
    def current_mask(self) -> Tensor:
        """Tensor: Current mask of derived mutable."""
        if self.mask_fn is None:
            raise RuntimeError(
                '`mask_fn` is not set, this DerivedMutable has no mask.')
        return self.mask_fn()

    @current_mask.setter
    def current_mask(self, mask: Tensor) -> None:
        raise RuntimeError(
            'Setting `current_mask` of a DerivedMutable is not legal; '
            'change the masks of its source mutables instead.')

    def _sources_state(self) -> Optional[tuple]:
        """A hashable snapshot of the sources' choices, or None when a
        source's state can not be snapshot cheaply."""
        state = []
        for m in self._source_mutables:
            mask = getattr(m, 'mask', None)
            if isinstance(mask, Tensor):
                state.append((id(m), id(mask), mask._version))
                continue
            if hasattr(m, 'current_mask') or \
                    not hasattr(m, '_current_choice'):
                return None  # e.g. a container: no cheap snapshot
            choice = m.current_choice
            if isinstance(choice, list):
                choice = tuple(choice)
            state.append((id(m), choice))
        return tuple(state)

    def current_mask_and_prefix(self):
        """``(bool mask, k)`` with ``k`` the prefix length when the mask
        keeps exactly its first ``k`` channels (None otherwise); cached
        while the sources' choices (channel mask versions, value choices)
        do not change."""
        state = self._sources_state()
        cache = self.__dict__.get('_mask_prefix_cache')
        if state is not None and cache is not None and cache[0] == state:
            return cache[1], cache[2]
        mask = self.current_mask
        if mask.dtype != torch.bool:
            mask = mask.bool()
        k = int(mask.sum())
        prefix = k if bool(mask[:k].all()) else None
        if state is not None:
            self.__dict__['_mask_prefix_cache'] = (state, mask, prefix)
        return mask, prefix

    @property
    def activated_channels(self) -> int:
        """int: Number of activated channels (needs ``mask_fn``)."""
        return int(self.current_mask.sum().item())

    @property
    def choices(self) -> List[Any]:
        """List[Any]: The derived choices of every combination of the
        source choices (the sources' current choices are restored)."""
        sources = list(self.source_mutables)
        for m in sources:
            if not hasattr(m, 'choices'):
                raise RuntimeError(f'Source mutable {type(m).__name__} does '
                                   'not enumerate its `choices`.')
        origin = [m.current_choice for m in sources]
        results: List[Any] = []
        try:
            for combination in itertools.product(*[m.choices
                                                   for m in sources]):
                for m, c in zip(sources, combination):
                    m.current_choice = c
                results.append(self.current_choice)
        finally:
            for m, c in zip(sources, origin):
                m.current_choice = c
        return results

    def dump_chosen(self) -> DumpChosen:
        """Dump information of chosen.

        Returns:
            DumpChosen: The current derived choice (no meta).
        """
        return DumpChosen(chosen=self.current_choice, meta=None)

    def fix_chosen(self, chosen: Any) -> None:
        """Fix mutable with subnet config.

        Warning:
            Fixing a derived mutable has no actual effect; fix its sources.
        """
        warnings.warn('Trying to fix chosen for a derived mutable, which '
                      'has no effect.')

    @property
    def is_fixed(self) -> bool:
        """bool: True when all source mutables are fixed."""
        return all(m.is_fixed for m in self.source_mutables)

    @is_fixed.setter
    def is_fixed(self, is_fixed: bool) -> None:
        raise RuntimeError(
            '`is_fixed` of a derived mutable can not be set; it depends on '
            'whether all its source mutables are fixed.')

    @property
    def num_choices(self) -> int:
        """int: Always 1, a derived mutable has no own search space."""
        return 1

    # arithmetic sugar
    def __mul__(self, other: Union[int, float,
                                   BaseMutable]) -> 'DerivedMutable':
        return self.derive_expand_mutable(other)

    def __rmul__(self, other: Union[int, float]) -> 'DerivedMutable':
        return self.derive_expand_mutable(other)

    def __floordiv__(self, other: Union[int, float,
                                        tuple]) -> 'DerivedMutable':
        if isinstance(other, tuple):
            if len(other) != 2:
                raise ValueError('Expect (ratio, divisor), got '
                                 f'{other}')
            return self.derive_divide_mutable(*other)
        return self.derive_divide_mutable(other)

    def __deepcopy__(self, memo: Dict) -> 'DerivedMutable':
        cls = self.__class__
        new = cls.__new__(cls)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key in ('choice_fn', 'mask_fn'):
                new.__dict__[key] = _deepcopy_callable(value, memo)
            else:
                new.__dict__[key] = copy.deepcopy(value, memo)
        return new

    def __repr__(self) -> str:
        s = f'{type(self).__name__}('
        try:
            s += f'current_choice={self.current_choice}, '
        except Exception:  # noqa: BLE001
            s += 'current_choice=?, '
        if self.mask_fn is not None:
            s += f'activated_channels={self.activated_channels}, '
        s += f'source_mutables={self.source_mutables}, '
        s += f'is_fixed={self.is_fixed})'
        return s

    # modules are hashed by identity
    __hash__ = BaseMutable.__hash__
