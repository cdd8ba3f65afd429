# Copyright (c) OpenMMLab. All rights reserved.
"""Unit that keeps the channels with the largest L1 norm."""
from typing import Union

import torch
from torch import nn

from mmrazor.registry import MODELS
from ..simple_mutable_channel import SimpleMutableChannel
from .sequential_mutable_channel_unit import SequentialMutableChannelUnit


@MODELS.register_module()
class L1MutableChannelUnit(SequentialMutableChannelUnit):
    """Keeps the channels with the largest mean ``|w|``.

    The importance of a channel is the L1 norm of its filter averaged over
    the output-related Conv/Linear modules of the unit (leftmost channels
    when the unit has none).

    Args: see :class:`SequentialMutableChannelUnit`.
    """

    def _create_mutable_channel(self):
        return SimpleMutableChannel(self.num_channels)

    @property
    def current_choice(self) -> Union[int, float]:
        return self._to_mode(self.mutable_channel.activated_channels)

    @current_choice.setter
    def current_choice(self, choice: Union[int, float]) -> None:
        num = self._get_valid_int_choice(choice)
        self.mutable_channel.current_choice = self._topk_mask(num)

    def _importance(self) -> torch.Tensor:
        scores = []
        for channel in self.output_related:
            module = channel.module
            if not isinstance(module, (nn.Conv2d, nn.Linear)):
                continue
            start, end = channel.index
            w = module.weight.detach()[start:end]
            w = w.reshape(self.num_channels, -1).abs().mean(1)
            scores.append(w.float().cpu())
        if not scores:
            return torch.linspace(1, 0, self.num_channels)
        return torch.stack(scores).mean(0)

    def _topk_mask(self, num: int) -> torch.Tensor:
        imp = self._importance()
        idx = imp.topk(num).indices
        mask = torch.zeros(self.num_channels, dtype=torch.bool)
        mask[idx] = True
        return mask
