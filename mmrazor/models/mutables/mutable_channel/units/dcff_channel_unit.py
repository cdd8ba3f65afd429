# Copyright (c) OpenMMLab. All rights reserved.
"""Channel unit of DCFF (filter fusion)."""
from typing import List, Optional, Union

from torch import nn

from mmrazor.registry import MODELS
from ..mutable_channel_container import MutableChannelContainer
from .mutable_channel_unit import default_dynamic_op_map
from .sequential_mutable_channel_unit import SequentialMutableChannelUnit
from .unit_checks import check_channels_fit, check_divisible


@MODELS.register_module()
class DCFFChannelUnit(SequentialMutableChannelUnit):
    """A sequential unit whose convolutions are :class:`FuseConv2d`.

    The channel choice of a DCFF unit is fixed before training (the target
    ratio); the kept filters are fused from all filters by the mutator's
    ``calc_information``.

    Args:
        num_channels (int): Channels of the unit.
        candidate_choices (list, optional): Accepted for compatibility with
            old configs; DCFF has one choice per unit.
        choice_mode (str): 'ratio' or 'number'. Defaults to 'ratio'.
        divisor (int): Divisor. Defaults to 1.
        min_value (int): Minimum channels. Defaults to 1.
        min_ratio (float): See :func:`make_divisible`. Defaults to 0.9.
    """

    def __init__(self,
                 num_channels: int,
                 candidate_choices: Optional[List[Union[int, float]]] = None,
                 choice_mode: str = 'ratio',
                 divisor: int = 1,
                 min_value: int = 1,
                 min_ratio: float = 0.9) -> None:
        super().__init__(num_channels, choice_mode, divisor, min_value,
                         min_ratio)

    def _get_valid_int_choice(self, choice: Union[int, float]) -> int:
        if isinstance(choice, int) and not isinstance(choice, bool) and \
                choice > self.num_channels:
            raise ValueError(
                f'unit {self.name}: choice {choice} exceeds the unit\'s '
                f'{self.num_channels} channels')
        return check_divisible(self, choice,
                               super()._get_valid_int_choice(choice))

    def prepare_for_pruning(self, model: nn.Module) -> None:
        """Use ``FuseConv2d`` for ``nn.Conv2d`` (other ops as the
        sequential unit), register containers and the mutable.

        Raises:
            ValueError: The channels do not fit the model.
        """
        from mmrazor.models.architectures.dynamic_ops import FuseConv2d
        check_channels_fit(self)
        op_map = dict(default_dynamic_op_map())
        op_map[nn.Conv2d] = FuseConv2d
        self._replace_with_dynamic_ops(model, op_map)
        self._register_channel_container(model, MutableChannelContainer)
        self._register_mutable_channel(self.mutable_channel)
