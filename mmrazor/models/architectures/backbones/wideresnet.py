# Copyright (c) OpenMMLab. All rights reserved.
"""Wide residual networks for CIFAR (Zagoruyko & Komodakis, 2016)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.registry import MODELS


class WideBasicBlock(BaseModule):
    """Pre-activation basic block: BN-ReLU-Conv3x3-(dropout)-BN-ReLU-
    Conv3x3, with a 1x1 conv shortcut when the shape changes.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv. Defaults to 1.
        drop_rate (float): Dropout between the convs. Defaults to 0.
        conv_cfg (dict, optional): Conv config.
        norm_cfg (dict): Norm config. Defaults to BN.
        act_cfg (dict): Activation config. Defaults to ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 drop_rate: float = 0.0,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.relu1 = build_activation_layer(act_cfg)
        self.conv1 = build_conv_layer(
            conv_cfg,
            in_channels,
            out_channels,
            3,
            stride=stride,
            padding=1,
            bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.relu2 = build_activation_layer(act_cfg)
        self.conv2 = build_conv_layer(
            conv_cfg, out_channels, out_channels, 3, padding=1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_channels == out_channels and stride == 1
        self.shortcut = None if self.equal_in_out else build_conv_layer(
            conv_cfg,
            in_channels,
            out_channels,
            1,
            stride=stride,
            padding=0,
            bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward."""
        out = self.relu1(self.bn1(x))
        # the shortcut of a changing block starts from the activated input
        identity = x if self.equal_in_out else self.shortcut(out)
        out = self.conv1(out)
        out = self.relu2(self.bn2(out))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return self.conv2(out) + identity


@MODELS.register_module()
class WideResNet(BaseModule):
    """WRN-depth-k for CIFAR: a 3x3 stem and three stages of
    ``(depth - 4) / 6`` pre-activation basic blocks with ``16k``, ``32k``
    and ``64k`` channels (strides 1, 2, 2); the last output goes through a
    final BN-ReLU. The OFD vanilla baselines (WRN-16-2, 22-4, 28-4, 40-2).

    Args:
        depth (int): ``6n + 4`` (16, 22, 28, 40, ...).
        widen_factor (int): Width multiplier k. Defaults to 4.
        num_stages (int): Stages (3 for CIFAR). Defaults to 3.
        drop_rate (float): Dropout inside the blocks. Defaults to 0.
        in_channels (int): Input image channels. Defaults to 3.
        stem_channels (int): Channels of the stem conv. Defaults to 16.
        base_channels (int): Channels of the first stage before widening.
            Defaults to 16.
        out_indices (Sequence[int]): Stages whose outputs are returned.
            Defaults to ``(2, )``.
        frozen_stages (int): Stages (and the stem) frozen; -1: none.
        conv_cfg (dict, optional): Conv config.
        norm_cfg (dict): Norm config. Defaults to BN.
        act_cfg (dict): Activation config. Defaults to ReLU.
        norm_eval (bool): Keep norms in eval mode. Defaults to False.
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming convs and constant norms.
    """

    def __init__(
        self,
        depth: int,
        widen_factor: int = 4,
        num_stages: int = 3,
        drop_rate: float = 0.0,
        in_channels: int = 3,
        stem_channels: int = 16,
        base_channels: int = 16,
        out_indices: Sequence[int] = (2, ),
        frozen_stages: int = -1,
        conv_cfg: Optional[Dict] = None,
        norm_cfg: Dict = dict(type='BN'),
        act_cfg: Dict = dict(type='ReLU'),
        norm_eval: bool = False,
        init_cfg: Optional[List[Dict]] = [
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]
    ) -> None:
        super().__init__(init_cfg)
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError(f'WideResNet: depth must be 6n + 4 with n >= 1 '
                             f'(16, 22, 28, 40, ...), got {depth}')
        if num_stages < 1:
            raise ValueError(f'WideResNet: num_stages must be >= 1, got '
                             f'{num_stages}')
        for index in out_indices:
            if index not in range(num_stages):
                raise ValueError(f'WideResNet: out_indices must be in '
                                 f'range({num_stages}), got {out_indices}')
        self.depth = depth
        self.widen_factor = widen_factor
        self.num_stages = num_stages
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        num_blocks = (depth - 4) // 6
        self.conv1 = build_conv_layer(
            conv_cfg,
            in_channels,
            stem_channels,
            3,
            stride=1,
            padding=1,
            bias=False)
        self.layer_names = []
        channels = stem_channels
        for i in range(num_stages):
            out_channels = base_channels * 2**i * widen_factor
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    WideBasicBlock(
                        channels,
                        out_channels,
                        stride=(1 if i == 0 else 2) if j == 0 else 1,
                        drop_rate=drop_rate,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg))
                channels = out_channels
            name = f'layer{i + 1}'
            self.add_module(name, nn.Sequential(*blocks))
            self.layer_names.append(name)
        self.out_channels = channels
        self.bn1 = build_norm_layer(norm_cfg, channels)[1]
        self.relu = build_activation_layer(act_cfg)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        modules = [self.conv1] + [
            getattr(self, name)
            for name in self.layer_names[:self.frozen_stages]
        ]
        for module in modules:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The outputs of the stages in ``out_indices``."""
        x = self.conv1(x)
        outs = []
        last = len(self.layer_names) - 1
        for i, name in enumerate(self.layer_names):
            x = getattr(self, name)(x)
            if i == last:
                x = self.relu(self.bn1(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'WideResNet':
        """Train mode that keeps frozen stages (and, with ``norm_eval``,
        every norm) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
