# Copyright (c) OpenMMLab. All rights reserved.
"""Unit restricted to candidate choices (one-shot NAS / AutoSlim)."""
import random
from typing import Dict, List, Union

from torch import nn

from mmrazor.registry import MODELS
from ..mutable_channel_container import MutableChannelContainer
from ..oneshot_mutable_channel import OneShotMutableChannel
from .sequential_mutable_channel_unit import SequentialMutableChannelUnit


@MODELS.register_module()
class OneShotMutableChannelUnit(SequentialMutableChannelUnit):
    """A sequential unit whose choice is one of ``candidate_choices``.

    Args:
        num_channels (int): Channels of the unit.
        candidate_choices (list): Candidate ratios or numbers. Defaults to
            ``[0.5, 1.0]``.
        choice_mode (str): 'ratio' or 'number'. Defaults to 'ratio'.
        divisor (int): Divisor. Defaults to 1.
        min_value (int): Minimum channels. Defaults to 1.
        min_ratio (float): See :func:`make_divisible`. Defaults to 0.9.
        unit_predefined (bool): The model already holds dynamic ops and
            containers (skip the replacement). Defaults to False.
    """

    def __init__(self,
                 num_channels: int,
                 candidate_choices: List[Union[int, float]] = [0.5, 1.0],
                 choice_mode: str = 'ratio',
                 divisor: int = 1,
                 min_value: int = 1,
                 min_ratio: float = 0.9,
                 unit_predefined: bool = False) -> None:
        self.candidate_choices = list(candidate_choices)
        self.unit_predefined = unit_predefined
        super().__init__(num_channels, choice_mode, divisor, min_value,
                         min_ratio)
        self._prepare_choices()

    def _create_mutable_channel(self):
        return OneShotMutableChannel(
            self.num_channels,
            candidate_choices=[
                self._get_valid_int_choice(c) for c in self.candidate_choices
            ],
            choice_mode='number')

    def _prepare_choices(self) -> None:
        for c in self.candidate_choices:
            if self.is_num_mode and not isinstance(c, int):
                raise TypeError(f'number mode needs int candidates, got {c}')
            if not self.is_num_mode and not isinstance(c, float):
                raise TypeError(f'ratio mode needs float candidates, got {c}')
        self.candidate_choices = sorted({
            self._to_mode(self._get_valid_int_choice(c))
            for c in self.candidate_choices
        })

    @property
    def init_args(self) -> Dict:
        return dict(
            num_channels=self.num_channels,
            divisor=self.divisor,
            min_value=self.min_value,
            min_ratio=self.min_ratio,
            candidate_choices=self.candidate_choices,
            choice_mode=self.choice_mode)

    @init_args.setter
    def init_args(self, value) -> None:
        pass

    @property
    def max_choice(self) -> Union[int, float]:
        return self.candidate_choices[-1]

    @property
    def min_choice(self) -> Union[int, float]:
        return self.candidate_choices[0]

    def sample_choice(self) -> Union[int, float]:
        return random.choice(self.candidate_choices)

    def prepare_for_pruning(self, model: nn.Module) -> None:
        if not self.unit_predefined:
            super().prepare_for_pruning(model)
        else:
            self._register_channel_container(model, MutableChannelContainer)
        self.current_choice = self.max_choice
