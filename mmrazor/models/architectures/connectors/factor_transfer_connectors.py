# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional

import torch
import torch.nn as nn

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


def _block(conv: nn.Module, channels: int, use_bn: bool) -> List[nn.Module]:
    layers = [conv]
    if use_bn:
        layers.append(nn.BatchNorm2d(channels))
    layers.append(nn.LeakyReLU(0.1))
    return layers


@MODELS.register_module()
class Paraphraser(BaseConnector):
    """Factor-transfer paraphraser: a convolutional auto-encoder on the
    teacher feature.

    In ``phase='pretrain'`` it returns the reconstruction (trained with a
    reconstruction loss against the input); in ``phase='train'`` it returns
    the factor (the encoder output).

    Args:
        in_channel (int): Feature channels.
        out_channel (int): Factor channels.
        use_bn (bool): Add BatchNorm. Defaults to False.
        phase (str): ``'pretrain'`` or ``'train'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 use_bn: bool = False,
                 phase: str = 'pretrain',
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if phase not in ('pretrain', 'train'):
            raise ValueError("Paraphraser: phase must be 'pretrain' or "
                             f"'train', but got {phase!r}")
        self.phase = phase
        self.encoder = nn.Sequential(
            *_block(
                nn.Conv2d(in_channel, in_channel, 3, 1, 1), in_channel,
                use_bn),
            *_block(
                nn.Conv2d(in_channel, out_channel, 3, 1, 1), out_channel,
                use_bn),
            *_block(
                nn.Conv2d(out_channel, out_channel, 3, 1, 1), out_channel,
                use_bn))
        self.decoder = nn.Sequential(
            *_block(
                nn.ConvTranspose2d(out_channel, out_channel, 3, 1, 1),
                out_channel, use_bn),
            *_block(
                nn.ConvTranspose2d(out_channel, in_channel, 3, 1, 1),
                in_channel, use_bn),
            *_block(
                nn.ConvTranspose2d(in_channel, in_channel, 3, 1, 1),
                in_channel, use_bn))

    def forward_train(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction (pretrain) or factor (train)."""
        factor = self.encoder(x)
        if self.phase == 'pretrain':
            return self.decoder(factor)
        return factor


@MODELS.register_module()
class Translator(BaseConnector):
    """Factor-transfer translator: encodes the student feature into the
    teacher's factor space.

    Args:
        in_channel (int): Student feature channels.
        out_channel (int): Factor channels.
        use_bn (bool): Add BatchNorm. Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 use_bn: bool = True,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.encoder = nn.Sequential(
            *_block(
                nn.Conv2d(in_channel, in_channel, 3, 1, 1), in_channel,
                use_bn),
            *_block(
                nn.Conv2d(in_channel, out_channel, 3, 1, 1), out_channel,
                use_bn),
            *_block(
                nn.Conv2d(out_channel, out_channel, 3, 1, 1), out_channel,
                use_bn))

    def forward_train(self, x: torch.Tensor) -> torch.Tensor:
        """Encode the student feature."""
        return self.encoder(x)
