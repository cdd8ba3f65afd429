# Copyright (c) OpenMMLab. All rights reserved.
"""A container that assembles the mask of an op from several mutables."""
from typing import Tuple

import torch
from torch import Tensor, nn

from mmrazor.registry import MODELS
from mmrazor.utils import IndexDict
from .base_mutable_channel import BaseMutableChannel
from .simple_mutable_channel import SimpleMutableChannel


def module_channel_num(module: nn.Module, is_output: bool) -> int:
    """Number of input/output channels of a channel op.

    Args:
        module (nn.Module): Conv, Linear, norm or LayerNorm.
        is_output (bool): Output (True) or input (False) channels.

    Returns:
        int: The channel number.
    """
    if isinstance(module, nn.Linear):
        return module.out_features if is_output else module.in_features
    if isinstance(module, nn.LayerNorm):
        return module.normalized_shape[-1]
    if isinstance(module, nn.GroupNorm):
        return module.num_channels
    if hasattr(module, 'num_features'):
        return module.num_features
    if hasattr(module, 'out_channels'):
        return module.out_channels if is_output else module.in_channels
    raise TypeError(f'{type(module).__name__} has no known channel number')


@MODELS.register_module()
class MutableChannelContainer(BaseMutableChannel):
    """Holds the mutable channels of one side of an op.

    The mutables are kept in an :class:`IndexDict` keyed by ``(start,
    end)``; the mask is their concatenation, where unregistered ranges are
    kept (filled by :class:`SimpleMutableChannel`).

    Args:
        num_channels (int): The channel number of the op side.
    """

    def __init__(self, num_channels: int, **kwargs) -> None:
        super().__init__(num_channels, **kwargs)
        self.mutable_channels = IndexDict()

    @property
    def current_choice(self) -> Tensor:
        return self.current_mask

    @current_choice.setter
    def current_choice(self, choice) -> None:
        raise RuntimeError('MutableChannelContainer can not be set; set '
                           'the mutables it holds instead')

    @property
    def current_mask(self) -> Tensor:
        self._fill_unregistered_range()
        masks = []
        for m in self.mutable_channels.values():
            mask = m.current_mask
            # skip the no-op conversions (each is a dispatch)
            if mask.dtype != torch.bool:
                mask = mask.bool()
            if mask.dim() != 1:
                mask = mask.flatten()
            masks.append(mask)
        if not masks:
            return torch.ones(self.num_channels, dtype=torch.bool)
        device = masks[0].device
        return torch.cat(
            [m if m.device == device else m.to(device) for m in masks])

    def current_mask_and_prefix(self):
        """``(bool mask, k)`` with ``k`` the prefix length when the mask
        keeps exactly its first ``k`` channels (None otherwise). A single
        mutable spanning every channel answers itself (cached there)."""
        self._fill_unregistered_range()
        if len(self.mutable_channels) == 1:
            (start, end), mutable = next(iter(self.mutable_channels.items()))
            known = getattr(type(mutable), 'current_mask_and_prefix', None)
            if known is not None and start == 0 and \
                    end == self.num_channels:
                return known(mutable)
        mask = self.current_mask
        k = int(mask.sum())
        return mask, (k if bool(mask[:k].all()) else None)

    def register_mutable(self, mutable_channel: BaseMutableChannel, start: int,
                         end: int) -> None:
        """Register ``mutable_channel`` for channels ``[start, end)``.

        Raises:
            ValueError: The range or mask size is wrong.
        """
        if end < 0:
            end = self.num_channels
        if not 0 <= start < end <= self.num_channels:
            raise ValueError(f'range ({start}, {end}) out of '
                             f'[0, {self.num_channels}]')
        mask = mutable_channel.current_mask
        if mask.numel() != end - start:
            raise ValueError(
                f'mutable of {mask.numel()} channels does not fit range '
                f'({start}, {end})')
        # drop auto-filled ranges that the new mutable overlaps
        for key in list(self.mutable_channels.keys()):
            if start < key[1] and key[0] < end and isinstance(
                    self.mutable_channels[key], _FillMutableChannel):
                self.mutable_channels.pop(key)
        self.mutable_channels[(start, end)] = mutable_channel

    def _fill_unregistered_range(self) -> None:
        last = 0
        for start, end in list(self.mutable_channels.keys()):
            if start > last:
                self.mutable_channels[(last,
                                       start)] = _FillMutableChannel(start -
                                                                     last)
            last = end
        if last < self.num_channels and self.mutable_channels:
            self.mutable_channels[(last, self.num_channels)] = \
                _FillMutableChannel(self.num_channels - last)

    @classmethod
    def register_mutable_channel_to_module(cls,
                                           module: nn.Module,
                                           mutable: BaseMutableChannel,
                                           is_to_output_channel: bool = True,
                                           start: int = 0,
                                           end: int = -1) -> Tuple[int, int]:
        """Register ``mutable`` into the container of ``module``.

        Args:
            module (DynamicChannelMixin): The dynamic op.
            mutable (BaseMutableChannel): The mutable to register.
            is_to_output_channel (bool): Output (True) or input side.
            start (int): Start channel. Defaults to 0.
            end (int): End channel; -1 means the last. Defaults to -1.

        Returns:
            Tuple[int, int]: The registered range.
        """
        attr = 'out_channels' if is_to_output_channel else 'in_channels'
        container = module.get_mutable_attr(attr)
        if container is None:
            container = cls(module_channel_num(module, is_to_output_channel))
            module.register_mutable_attr(attr, container)
        if end < 0:
            end = container.num_channels
        container.register_mutable(mutable, start, end)
        return start, end

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_channels={self.num_channels}, '
                f'ranges={list(self.mutable_channels.keys())})')


class _FillMutableChannel(SimpleMutableChannel):
    """Keeps every channel of a range no mutable was registered for."""
