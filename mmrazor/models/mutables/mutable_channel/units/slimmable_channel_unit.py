# Copyright (c) OpenMMLab. All rights reserved.
"""Channel unit of slimmable networks (a private BN per width)."""
from typing import Dict, List, Union

from torch import nn

from mmrazor.registry import MODELS
from ..mutable_channel_container import MutableChannelContainer
from ..oneshot_mutable_channel import OneShotMutableChannel
from .mutable_channel_unit import default_dynamic_op_map
from .one_shot_mutable_channel_unit import OneShotMutableChannelUnit
from .unit_checks import (check_channels_fit, check_choices_fit,
                          check_divisible)


@MODELS.register_module()
class SlimmableChannelUnit(OneShotMutableChannelUnit):
    """A one-shot unit for slimmable networks.

    Choices are channel numbers. ``candidate_choices`` keeps the order it
    is given in: its i-th entry is the width of the unit in the i-th subnet
    of :class:`SlimmableChannelMutator` (so entries may repeat).
    ``prepare_for_pruning`` replaces ``nn.BatchNorm2d`` with
    :class:`SwitchableBatchNorm2d` and gives it one private BN per
    candidate width.

    Args:
        num_channels (int): Channels of the unit.
        candidate_choices (list[int]): Width of the unit in each subnet.
            Defaults to ``[num_channels]``.
        choice_mode (str): Must be 'number'.
        divisor (int): Divisor. Defaults to 1.
        min_value (int): Minimum channels. Defaults to 1.
        min_ratio (float): See :func:`make_divisible`. Defaults to 0.9.
    """

    def __init__(self,
                 num_channels: int,
                 candidate_choices: List[Union[int, float]] = [],
                 choice_mode: str = 'number',
                 divisor: int = 1,
                 min_value: int = 1,
                 min_ratio: float = 0.9) -> None:
        if choice_mode != 'number':
            raise ValueError('SlimmableChannelUnit only supports '
                             f"choice_mode='number', got {choice_mode!r}")
        candidate_choices = list(candidate_choices) or [num_channels]
        super().__init__(num_channels, candidate_choices, choice_mode, divisor,
                         min_value, min_ratio)

    def _create_mutable_channel(self):
        return OneShotMutableChannel(
            self.num_channels,
            candidate_choices=sorted({
                self._get_valid_int_choice(c)
                for c in self.candidate_choices
            }),
            choice_mode='number')

    def _get_valid_int_choice(self, choice: Union[int, float]) -> int:
        return check_divisible(self, choice,
                               super()._get_valid_int_choice(choice))

    def _prepare_choices(self) -> None:
        for c in self.candidate_choices:
            if isinstance(c, bool) or not isinstance(c, int):
                raise TypeError(
                    f'unit {self.name}: slimmable candidate choices are '
                    f'channel numbers (ints), got {c!r}')

    @property
    def init_args(self) -> Dict:
        return dict(
            num_channels=self.num_channels,
            divisor=self.divisor,
            min_value=self.min_value,
            min_ratio=self.min_ratio,
            candidate_choices=list(self.candidate_choices),
            choice_mode=self.choice_mode)

    @init_args.setter
    def init_args(self, value) -> None:
        pass

    @property
    def max_choice(self) -> int:
        return max(self.candidate_choices)

    @property
    def min_choice(self) -> int:
        return min(self.candidate_choices)

    def prepare_for_pruning(self, model: nn.Module) -> None:
        """Use dynamic ops (``SwitchableBatchNorm2d`` for BN2d), register
        the mutable and give each BN its private candidate BNs.

        Raises:
            ValueError: The channels or candidates do not fit the model.
        """
        from mmrazor.models.architectures.dynamic_ops import \
            SwitchableBatchNorm2d
        check_channels_fit(self)
        check_choices_fit(self, self.candidate_choices, 'candidate_choices')
        op_map = dict(default_dynamic_op_map())
        op_map[nn.BatchNorm2d] = SwitchableBatchNorm2d
        self._replace_with_dynamic_ops(model, op_map)
        self._register_channel_container(model, MutableChannelContainer)
        self._register_mutable_channel(self.mutable_channel)
        widths = sorted(
            {self._get_valid_int_choice(c)
             for c in self.candidate_choices})
        done = set()
        for channel in self.input_related + self.output_related:
            module = channel.module
            if not isinstance(module, SwitchableBatchNorm2d) or \
                    id(module) in done:
                continue
            done.add(id(module))
            start, end = channel.index
            if (start, end) != (0, module.num_features):
                continue  # a part of the BN: the shared BN is sliced
            scale = (end - start) // self.num_channels
            module.init_candidates([w * scale for w in widths])
        self.current_choice = self.max_choice
