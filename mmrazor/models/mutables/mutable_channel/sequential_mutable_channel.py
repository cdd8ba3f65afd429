# Copyright (c) OpenMMLab. All rights reserved.
"""A mutable channel that keeps the leftmost channels."""
from typing import Callable, Union

import torch
from torch import Tensor

from mmrazor.registry import MODELS
from ..derived_mutable import DerivedMutable
from .simple_mutable_channel import SimpleMutableChannel


@MODELS.register_module()
class SquentialMutableChannel(SimpleMutableChannel):
    """Keeps the leftmost channels ('11110000').

    Args:
        num_channels (int): The number of channels.
        choice_mode (str): 'number' (int choices) or 'ratio' (float
            choices). A float choice is always read as a ratio.
    """

    def __init__(self,
                 num_channels: int,
                 choice_mode: str = 'number',
                 **kwargs) -> None:
        super().__init__(num_channels, **kwargs)
        if choice_mode not in ('number', 'ratio'):
            raise ValueError("choice_mode must be 'number' or 'ratio', got "
                             f'{choice_mode!r}')
        self.choice_mode = choice_mode

    @property
    def is_num_mode(self) -> bool:
        """bool: whether choices are channel numbers."""
        return self.choice_mode == 'number'

    @property
    def current_choice(self) -> Union[int, float]:
        num = int(self.mask.sum().item())
        if self.is_num_mode:
            return num
        return num / self.num_channels

    @current_choice.setter
    def current_choice(self, choice: Union[int, float]) -> None:
        if isinstance(choice, Tensor):
            choice = int(choice.sum().item()) if choice.dtype == torch.bool \
                else choice.item()
        if isinstance(choice, float):
            if not 0 < choice <= 1:
                raise ValueError(
                    f'{self.name or type(self).__name__}: ratio choice '
                    f'{choice} not in (0, 1]')
            num = max(1, int(round(self.num_channels * choice, 6)))
        elif isinstance(choice, int):
            num = choice
        else:
            raise TypeError(f'choice must be an int or a float, got '
                            f'{type(choice).__name__}')
        if not 0 < num <= self.num_channels:
            raise ValueError(f'{self.name or type(self).__name__}: choice '
                             f'{num} not in [1, {self.num_channels}]')
        self.mask.copy_(self._leftmost(num).float().to(self.mask.device))

    @property
    def current_mask(self) -> Tensor:
        return self.mask.bool()

    @current_mask.setter
    def current_mask(self, mask: Tensor) -> None:
        num = int(mask.bool().sum().item())
        if not bool(mask.bool()[:num].all()):
            raise ValueError('SquentialMutableChannel only keeps the '
                             'leftmost channels')
        self.current_choice = num

    def current_mask_and_prefix(self):
        """``(bool mask, k)`` where the mask keeps exactly its first ``k``
        channels (``k`` None otherwise); cached until the mask buffer
        changes (its version counter), so repeated calls cost no
        reduction."""
        mask_buffer = self.mask
        cache = self.__dict__.get('_mask_prefix_cache')
        if cache is not None and cache[0] is mask_buffer and \
                cache[1] == mask_buffer._version:
            return cache[2], cache[3]
        mask = mask_buffer.bool()
        k = int(mask.sum())
        prefix = k if bool(mask[:k].all()) else None
        self.__dict__['_mask_prefix_cache'] = (mask_buffer,
                                               mask_buffer._version, mask,
                                               prefix)
        return mask, prefix

    def __rmul__(self, other) -> DerivedMutable:
        return self * other

    def __mul__(self, other) -> DerivedMutable:
        if isinstance(other, (int, float)):
            return self.derive_expand_mutable(other)
        from ..base_mutable import BaseMutable
        if isinstance(other, BaseMutable):
            return self.derive_expand_mutable(other)
        raise TypeError(f'unsupported operand {type(other).__name__}')

    def __floordiv__(self, other) -> DerivedMutable:
        if isinstance(other, (int, float)):
            return self.derive_divide_mutable(other)
        if isinstance(other, tuple) and len(other) == 2:
            return self.derive_divide_mutable(*other)
        raise TypeError(f'unsupported operand {other!r}')

    def _expand_fn(self, expand_ratio) -> Callable:
        return lambda: self.current_choice * expand_ratio


SequentialMutableChannel = SquentialMutableChannel
