# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic linear classification head (needs mmpretrain)."""
from abc import ABC, abstractmethod
from typing import Dict, Optional

from mmpretrain.models.heads import LinearClsHead
from torch import nn

from mmrazor.registry import MODELS
from ..bricks.dynamic_linear import DynamicLinear


class DynamicHead(ABC):
    """A head whose input follows a searchable backbone output."""

    @abstractmethod
    def connect_with_backbone(self,
                              backbone_output_mutable: nn.Module) -> None:
        """Make the head input follow ``backbone_output_mutable``."""


@MODELS.register_module(force=True)
class DynamicLinearClsHead(LinearClsHead, DynamicHead):
    """mmcls ``LinearClsHead`` whose ``fc`` is a :class:`DynamicLinear`.

    :meth:`connect_with_backbone` registers the mutable channel of the
    backbone output as the ``in_features`` of ``fc``; the head then slices
    its weight to the active channels, and exports to ``nn.Linear``.

    Args:
        num_classes (int): Number of classes. Defaults to 1000.
        in_channels (int): Max input channels. Defaults to 1024.
        init_cfg (dict, optional): Defaults to ``Normal(std=0.01)`` on
            Linear layers.
        **kwargs: ``ClsHead`` arguments (``loss``, ``topk``, ...).
    """

    def __init__(self,
                 num_classes: int = 1000,
                 in_channels: int = 1024,
                 init_cfg: Optional[Dict] = dict(
                     type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            init_cfg=init_cfg,
            **kwargs)
        self.fc = DynamicLinear(self.in_channels, self.num_classes)

    def connect_with_backbone(self,
                              backbone_output_mutable: nn.Module) -> None:
        """Register the backbone output channels as ``fc.in_features``.

        Args:
            backbone_output_mutable (BaseMutableChannel): A mutable channel
                (e.g. ``OneShotMutableChannel``) or a
                ``MutableChannelContainer`` of ``in_channels`` channels.

        Raises:
            TypeError: Not a mutable channel.
            ValueError: Its channel number differs from ``in_channels``.
        """
        from mmrazor.models.mutables import (BaseMutableChannel,
                                             MutableChannelContainer)
        if not isinstance(backbone_output_mutable, BaseMutableChannel):
            raise TypeError(
                f'{type(self).__name__}.connect_with_backbone expects a '
                'mutable channel (e.g. OneShotMutableChannel or '
                'MutableChannelContainer), got '
                f'{type(backbone_output_mutable).__name__}')
        if backbone_output_mutable.num_channels != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: the backbone output mutable has '
                f'{backbone_output_mutable.num_channels} channels but '
                f'in_channels={self.in_channels}')
        if isinstance(backbone_output_mutable, MutableChannelContainer):
            ranges = [(key, m) for key, m in
                      backbone_output_mutable.mutable_channels.items()
                      if type(m).__name__ != '_FillMutableChannel']
            for (start, end), mutable in ranges:
                MutableChannelContainer.register_mutable_channel_to_module(
                    self.fc, mutable, False, start, end)
            return
        MutableChannelContainer.register_mutable_channel_to_module(
            self.fc, backbone_output_mutable, False)
