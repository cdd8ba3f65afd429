# Copyright (c) OpenMMLab. All rights reserved.
"""Units that keep the leftmost channels."""
import random
from typing import Dict, Union

from torch import nn

from mmrazor.models.utils import make_divisible
from mmrazor.registry import MODELS
from ..mutable_channel_container import MutableChannelContainer
from ..sequential_mutable_channel import SquentialMutableChannel
from .mutable_channel_unit import MutableChannelUnit, default_dynamic_op_map


@MODELS.register_module()
class SequentialMutableChannelUnit(MutableChannelUnit):
    """Keeps the leftmost channels; the choice is a number or a ratio.

    Args:
        num_channels (int): Channels of the unit.
        choice_mode (str): 'number' or 'ratio'. Defaults to 'number'.
        divisor (int): Choices are made divisible by it. Defaults to 1.
        min_value (int): Minimum channel number. Defaults to 1.
        min_ratio (float): See :func:`make_divisible`. Defaults to 0.9.
    """

    def __init__(self,
                 num_channels: int,
                 choice_mode: str = 'number',
                 divisor: int = 1,
                 min_value: int = 1,
                 min_ratio: float = 0.9) -> None:
        super().__init__(num_channels)
        if choice_mode not in ('number', 'ratio'):
            raise ValueError("choice_mode must be 'number' or 'ratio', got "
                             f'{choice_mode!r}')
        self.choice_mode = choice_mode
        self.divisor = divisor
        self.min_value = min_value
        self.min_ratio = min_ratio
        self.mutable_channel = self._create_mutable_channel()

    def _create_mutable_channel(self):
        return SquentialMutableChannel(self.num_channels, self.choice_mode)

    @property
    def init_args(self) -> Dict:
        return dict(
            num_channels=self.num_channels,
            choice_mode=self.choice_mode,
            divisor=self.divisor,
            min_value=self.min_value,
            min_ratio=self.min_ratio)

    @init_args.setter
    def init_args(self, value) -> None:
        pass

    @property
    def is_num_mode(self) -> bool:
        return self.choice_mode == 'number'

    def _get_valid_int_choice(self, choice: Union[int, float]) -> int:
        if isinstance(choice, bool) or not isinstance(choice, (int, float)):
            raise TypeError(f'unit {self.name}: choice must be an int or a '
                            f'float, got {choice!r}')
        if isinstance(choice, float):
            if not 0 < choice <= 1:
                raise ValueError(f'unit {self.name}: ratio {choice} not '
                                 'in (0, 1]')
            num = max(1, int(round(self.num_channels * choice, 6)))
        else:
            num = choice
            if num > self.num_channels:
                raise ValueError(
                    f'unit {self.name}: choice {choice} exceeds its '
                    f'{self.num_channels} channels (expected 1..'
                    f'{self.num_channels} or a ratio in (0, 1])')
        if num <= 0:
            raise ValueError(f'unit {self.name}: choice {choice} must be '
                             'positive')
        if self.divisor > 1 or self.min_value > 1:
            num = make_divisible(num, self.divisor, self.min_value,
                                 self.min_ratio)
        return max(1, min(num, self.num_channels))

    def _to_mode(self, num: int) -> Union[int, float]:
        return num if self.is_num_mode else num / self.num_channels

    @property
    def current_choice(self) -> Union[int, float]:
        return self._to_mode(self.mutable_channel.activated_channels)

    @current_choice.setter
    def current_choice(self, choice: Union[int, float]) -> None:
        self.mutable_channel.current_choice = \
            self._get_valid_int_choice(choice)

    def sample_choice(self) -> Union[int, float]:
        num = self._get_valid_int_choice(random.randint(1, self.num_channels))
        return self._to_mode(num)

    def prepare_for_pruning(self, model: nn.Module) -> None:
        """Use dynamic ops, register containers and this unit's mutable."""
        self._replace_with_dynamic_ops(model, default_dynamic_op_map())
        self._register_channel_container(model, MutableChannelContainer)
        self._register_mutable_channel(self.mutable_channel)
