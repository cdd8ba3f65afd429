# Copyright (c) OpenMMLab. All rights reserved.
"""The channel unit of DMCP."""
from torch import nn

from mmrazor.registry import MODELS
from ..mutable_channel_container import MutableChannelContainer
from .mutable_channel_unit import default_dynamic_op_map
from .sequential_mutable_channel_unit import SequentialMutableChannelUnit


@MODELS.register_module()
class DMCPChannelUnit(SequentialMutableChannelUnit):
    """The unit of DMCP: keeps the leftmost channels; ``nn.BatchNorm2d``
    becomes :class:`DMCPBatchNorm2d`.

    The mutable channel gets an ``activated_tensor_channels`` attribute:
    the expected channel number (a tensor differentiable in the
    architecture parameters) while the mutator computes expected FLOPs.

    Args:
        num_channels (int): Channels of the unit.
        choice_mode (str): 'number' or 'ratio'. Defaults to 'number'.
        divisor (int): Defaults to 1.
        min_value (int): Defaults to 1.
        min_ratio (float): Defaults to 0.5.
    """

    def __init__(self,
                 num_channels: int,
                 choice_mode: str = 'number',
                 divisor: int = 1,
                 min_value: int = 1,
                 min_ratio: float = 0.5) -> None:
        super().__init__(num_channels, choice_mode, divisor, min_value,
                         min_ratio)
        self.mutable_channel.activated_tensor_channels = None

    def prepare_for_pruning(self, model: nn.Module) -> None:
        """Dynamic ops, with :class:`DMCPBatchNorm2d` for batch norms."""
        from mmrazor.models.architectures.dynamic_ops import DMCPBatchNorm2d
        mapping = dict(default_dynamic_op_map())
        mapping[nn.BatchNorm2d] = DMCPBatchNorm2d
        self._replace_with_dynamic_ops(model, mapping)
        self._register_channel_container(model, MutableChannelContainer)
        self._register_mutable_channel(self.mutable_channel)
