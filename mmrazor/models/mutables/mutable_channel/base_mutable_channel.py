# Copyright (c) OpenMMLab. All rights reserved.
"""Base class of the mutable channels."""
from abc import abstractmethod
from typing import Any, Optional

import torch
from torch import Tensor

from mmrazor.utils.typing import DumpChosen
from ..base_mutable import BaseMutable
from ..derived_mutable import DerivedMethodMixin, DerivedMutable


class BaseMutableChannel(BaseMutable, DerivedMethodMixin):
    """A mutable that decides which of ``num_channels`` channels are kept.

    Subclasses implement ``current_choice`` and ``current_mask`` (a bool
    tensor of ``num_channels`` entries).

    Args:
        num_channels (int): The number of channels.
        alias (str, optional): Alias. Defaults to None.
        init_cfg (dict, optional): Init config. Defaults to None.
    """

    def __init__(self,
                 num_channels: int,
                 alias: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(alias=alias, init_cfg=init_cfg)
        if not isinstance(num_channels, int) or num_channels <= 0:
            raise ValueError('num_channels must be a positive int, got '
                             f'{num_channels!r}')
        self.name = ''
        self.num_channels = num_channels

    @property
    @abstractmethod
    def current_mask(self) -> Tensor:
        """Bool mask of the kept channels."""

    @property
    def activated_channels(self) -> int:
        """int: Number of kept channels."""
        return int(self.current_mask.sum().item())

    @property
    def num_choices(self) -> int:
        return 1

    def fix_chosen(self, chosen: Any = None) -> None:
        """Fix the channel to ``chosen`` (or to the current choice).

        Args:
            chosen (Any): A choice accepted by ``current_choice``, or None
                to keep the current one.
        """
        if chosen is not None:
            self.current_choice = chosen
        self.is_fixed = True

    def dump_chosen(self) -> DumpChosen:
        """Dump the number of activated channels and the maximum."""
        return DumpChosen(
            chosen=self.activated_channels,
            meta=dict(max_channels=self.num_channels))

    def expand_mutable_channel(self, expand_ratio: int) -> DerivedMutable:
        """A derived mutable whose mask is ``repeat_interleave``-d.

        Used when a tensor of ``num_channels`` channels is flattened into
        ``num_channels * expand_ratio`` features (e.g. before a Linear).

        Args:
            expand_ratio (int): How many features per channel.

        Returns:
            DerivedMutable: The expanded mutable.
        """
        if not isinstance(expand_ratio, int) or expand_ratio < 1:
            raise ValueError('expand_ratio must be a positive int, got '
                             f'{expand_ratio!r}')
        source = self

        def choice_fn():
            return source.activated_channels * expand_ratio

        def mask_fn():
            return source.current_mask.repeat_interleave(expand_ratio)

        return DerivedMutable(choice_fn, mask_fn, source_mutables=[self])

    def _leftmost(self, num: int) -> Tensor:
        mask = torch.zeros(self.num_channels, dtype=torch.bool)
        mask[:num] = True
        return mask

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(name={self.name}, '
                f'num_channels={self.num_channels}, '
                f'activated_channels={self.activated_channels})')
