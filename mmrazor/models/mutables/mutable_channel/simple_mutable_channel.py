# Copyright (c) OpenMMLab. All rights reserved.
"""A mutable channel chosen by an arbitrary mask."""
from typing import Union

import torch
from torch import Tensor

from mmrazor.registry import MODELS
from ..derived_mutable import DerivedMutable
from .base_mutable_channel import BaseMutableChannel


@MODELS.register_module()
class SimpleMutableChannel(BaseMutableChannel):
    """The choice is a bool mask (stored as a float buffer ``mask`` so that
    DDP broadcasts it).

    Args:
        num_channels (int): The number of channels.
    """

    def __init__(self, num_channels: int, **kwargs) -> None:
        super().__init__(num_channels, **kwargs)
        self.register_buffer('mask', torch.ones(num_channels))

    @property
    def current_choice(self) -> Tensor:
        """Bool mask of the kept channels."""
        return self.mask.bool()

    @current_choice.setter
    def current_choice(self, choice: Union[Tensor, int]) -> None:
        if isinstance(choice, int):
            if not 0 < choice <= self.num_channels:
                raise ValueError(f'{self.name or type(self).__name__}: '
                                 f'choice {choice} not in [1, '
                                 f'{self.num_channels}]')
            choice = self._leftmost(choice)
        if not isinstance(choice, Tensor) or \
                choice.numel() != self.num_channels:
            raise ValueError(f'{self.name or type(self).__name__}: a mask of '
                             f'{self.num_channels} entries is expected')
        self.mask.copy_(choice.to(self.mask.device).float().flatten())

    @property
    def current_mask(self) -> Tensor:
        return self.current_choice

    @current_mask.setter
    def current_mask(self, mask: Tensor) -> None:
        self.current_choice = mask

    def expand_mutable_channel(self, expand_ratio: int) -> DerivedMutable:
        """See :meth:`BaseMutableChannel.expand_mutable_channel`."""
        return super().expand_mutable_channel(expand_ratio)
