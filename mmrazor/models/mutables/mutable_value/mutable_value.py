# Copyright (c) OpenMMLab. All rights reserved.
"""Mutables that choose a value (kernel size, expand ratio, depth...)."""
import random
from typing import Any, Dict, List, Optional, Tuple, Union

from mmrazor.registry import MODELS
from mmrazor.utils.typing import DumpChosen
from ..base_mutable import BaseMutable
from ..derived_mutable import DerivedMethodMixin, DerivedMutable


@MODELS.register_module()
class MutableValue(BaseMutable, DerivedMethodMixin):
    """Base class for mutable value.

    A mutable value is actually a mutable that adds some functionality to a
    list containing objects of the same type.

    Args:
        value_list (list): List of value, each value must have the same type.
        default_value (any, optional): Default value, must be one in
            ``value_list``. Default to None, meaning the first value.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``.

    Examples:
        >>> from mmrazor.models.mutables import MutableValue
        >>> mutable_value = MutableValue(value_list=[2, 4, 6])
        >>> mutable_value.current_choice
        2
        >>> derived = mutable_value * 3
        >>> mutable_value.current_choice = 4
        >>> derived.current_choice
        12
    """

    def __init__(self,
                 value_list: List[Any],
                 default_value: Optional[Any] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(alias=alias, init_cfg=init_cfg)
        self._check_is_same_type(value_list)
        self._value_list = list(value_list)
        if default_value is None:
            default_value = self._value_list[0]
        self.current_choice = default_value

    @staticmethod
    def _check_is_same_type(value_list: List[Any]) -> None:
        if not isinstance(value_list, (list, tuple)) or len(value_list) == 0:
            raise ValueError('value_list must be a non-empty list, got '
                             f'{value_list!r}')
        if len(value_list) == 1:
            return
        for value in value_list:
            if type(value) is not type(value_list[0]):
                raise TypeError(
                    'All elements in `value_list` must have same type, but '
                    f'both types {type(value_list[0]).__name__} and '
                    f'{type(value).__name__} exist.')

    @property
    def mutable_prefix(self) -> str:
        """str: Prefix of the search-group keys (``value``)."""
        return 'value'

    @property
    def choices(self) -> List[Any]:
        """List of choices."""
        return self._value_list

    @property
    def current_choice(self) -> Any:
        """Current choice of mutable value."""
        return self._current_choice

    @current_choice.setter
    def current_choice(self, choice: Any) -> Any:
        if choice not in self.choices:
            name = f'`{self.alias}`: ' if self.alias else ''
            raise ValueError(f'{name}Expected choice in: {self.choices}, but '
                             f'got: {choice}')
        self._current_choice = choice

    def fix_chosen(self, chosen: Any) -> None:
        """Fix mutable value with subnet config.

        Args:
            chosen (Any): the chosen value; must be one of the choices.
        """
        if self.is_fixed:
            raise RuntimeError('MutableValue can not be fixed twice')
        if chosen not in self.choices:
            name = f'`{self.alias}`: ' if self.alias else ''
            raise ValueError(f'{name}Chosen {chosen!r} is not one of the '
                             f'choices {self.choices}')
        self.current_choice = chosen
        self._value_list = [chosen]
        self.is_fixed = True

    def dump_chosen(self) -> DumpChosen:
        """Dump information of chosen.

        Returns:
            DumpChosen: the current choice with ``all_choices`` as meta.
        """
        meta = dict(all_choices=self.choices)
        return DumpChosen(chosen=self.current_choice, meta=meta)

    @property
    def num_choices(self) -> int:
        """int: Number of all choices."""
        return len(self.choices)

    def __rmul__(self, other: Union[int, float]) -> DerivedMutable:
        return self * other

    def __mul__(self, other: Union[int, float, BaseMutable]) -> DerivedMutable:
        if isinstance(other, (int, float, BaseMutable)):
            return self.derive_expand_mutable(other)
        raise TypeError(f'Unsupported type {type(other)} for mul!')

    def __floordiv__(
        self, other: Union[int, float, Tuple[Union[int, float],
                                             int]]) -> DerivedMutable:
        if isinstance(other, (int, float)):
            return self.derive_divide_mutable(other)
        if isinstance(other, tuple):
            if len(other) != 2:
                raise ValueError('Expect (ratio, divisor), got '
                                 f'{other}')
            return self.derive_divide_mutable(*other)
        raise TypeError(f'Unsupported type {type(other)} for div!')

    def __repr__(self) -> str:
        s = self.__class__.__name__
        s += f'(value_list={self._value_list}, '
        s += f'current_choice={self.current_choice})'
        return s


@MODELS.register_module()
class OneShotMutableValue(MutableValue):
    """Class for one-shot mutable value.

    One-shot mutable value provides the ``sample_choice`` method and the
    ``min_choice`` and ``max_choice`` properties on top of mutable value.
    The value list is sorted and the default value is the maximum.

    Args:
        value_list (list): List of value, each value must have the same type.
        default_value (any, optional): Default value, must be one in
            ``value_list``. Default to None, meaning the max value.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``.

    Examples:
        >>> from mmrazor.models.mutables import OneShotMutableValue
        >>> value = OneShotMutableValue(value_list=[5, 3, 7])
        >>> value.choices
        [3, 5, 7]
        >>> value.current_choice, value.min_choice, value.max_choice
        (7, 3, 7)
    """

    def __init__(self,
                 value_list: List[Any],
                 default_value: Optional[Any] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        value_list = sorted(value_list)
        if default_value is None:
            default_value = value_list[-1]
        super().__init__(
            value_list=value_list,
            default_value=default_value,
            alias=alias,
            init_cfg=init_cfg)

    def sample_choice(self) -> Any:
        """Random sampling from choices.

        Returns:
            Any: Selected choice.
        """
        return random.choice(self.choices)

    @property
    def max_choice(self) -> Any:
        """Max choice of all choices."""
        return self.choices[-1]

    @property
    def min_choice(self) -> Any:
        """Min choice of all choices."""
        return self.choices[0]

    def __mul__(self, other: Any) -> DerivedMutable:
        """Multiply; a channel mutable on the right takes over (its mask is
        sized to ``max_choice * num_channels``)."""
        if hasattr(type(other), 'current_mask') and \
                not isinstance(other, DerivedMutable) and \
                hasattr(other, '__mul__'):
            return other.__mul__(self)
        return super().__mul__(other)
