# Copyright (c) OpenMMLab. All rights reserved.
"""The Proxyless-style MobileNetV2 search space of SPOS."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models.utils import make_divisible
from mmrazor.registry import MODELS


@MODELS.register_module()
class SearchableMobileNetV2(BaseModule):
    """Searchable MobileNetV2 backbone.

    Args:
        arch_setting (list[list]): Architecture settings; each stage is
            ``[channels, num_blocks, stride, mutable_cfg]``. Blocks are built
            from ``mutable_cfg`` with ``module_kwargs`` holding
            ``in_channels``, ``out_channels`` and ``stride``.
        first_channels (int): Channels of the stem conv. Defaults to 32.
        last_channels (int): Channels of the last 1x1 conv. Defaults to
            1280.
        widen_factor (float): Width multiplier (channels made divisible by
            8). Defaults to 1.0.
        out_indices (Sequence[int]): Output from which stages; index
            ``len(arch_setting)`` is the last conv layer. Defaults to
            ``(7, )``.
        frozen_stages (int): Stages to be frozen; -1 freezes nothing.
        conv_cfg (dict, optional): Config of the convs. Defaults to None.
        norm_cfg (dict): Config of the norms. Defaults to ``BN``.
        act_cfg (dict): Activation. Defaults to ``ReLU6``.
        norm_eval (bool): Keep BN in eval mode. Defaults to False.
        in_channels (int): Channels of the input images (an extension,
            e.g. 1 for grey images). Defaults to 3.
        with_cp (bool): Unused by this backbone (kept for compatibility).
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to Kaiming for convs and constant 1 for norms.
    """

    def __init__(
        self,
        arch_setting: List[List],
        first_channels: int = 32,
        last_channels: int = 1280,
        widen_factor: float = 1.,
        out_indices: Sequence[int] = (7, ),
        frozen_stages: int = -1,
        conv_cfg: Optional[Dict] = None,
        norm_cfg: Dict = dict(type='BN'),
        act_cfg: Dict = dict(type='ReLU6'),
        norm_eval: bool = False,
        with_cp: bool = False,
        in_channels: int = 3,
        init_cfg: Optional[Dict] = [
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]
    ) -> None:
        from mmcv.cnn import ConvModule
        super().__init__(init_cfg)
        num_layers = len(arch_setting) + 1
        for index in out_indices:
            if index not in range(0, num_layers):
                raise ValueError('the item in out_indices must be in '
                                 f'range(0, {num_layers}). But received '
                                 f'{index}')
        if frozen_stages not in range(-1, num_layers):
            raise ValueError('frozen_stages must be in range(-1, '
                             f'{num_layers}). But received {frozen_stages}')
        self.arch_setting = arch_setting
        self.widen_factor = widen_factor
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.norm_eval = norm_eval
        self.with_cp = with_cp

        self.in_channels = make_divisible(first_channels * widen_factor, 8)
        self.conv1 = ConvModule(
            in_channels=in_channels,
            out_channels=self.in_channels,
            kernel_size=3,
            stride=2,
            padding=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)

        self.layers = nn.ModuleList()
        for stage in arch_setting:
            if len(stage) != 4:
                raise ValueError('Each stage of arch_setting must be '
                                 '[channels, num_blocks, stride, '
                                 f'mutable_cfg], got {stage}')
            channel, num_blocks, stride, mutable_cfg = stage
            out_channels = make_divisible(channel * widen_factor, 8)
            self.layers.append(
                self._make_layer(out_channels, num_blocks, stride,
                                 copy.deepcopy(mutable_cfg)))

        if widen_factor > 1.0:
            self.out_channel = int(last_channels * widen_factor)
        else:
            self.out_channel = last_channels
        self.layers.append(
            ConvModule(
                in_channels=self.in_channels,
                out_channels=self.out_channel,
                kernel_size=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg))

    def _make_layer(self, out_channels: int, num_blocks: int, stride: int,
                    mutable_cfg: Dict) -> nn.Sequential:
        layers = []
        for i in range(num_blocks):
            cfg = copy.deepcopy(mutable_cfg)
            module_kwargs = dict(cfg.get('module_kwargs') or {})
            module_kwargs.update(
                in_channels=self.in_channels,
                out_channels=out_channels,
                stride=stride if i == 0 else 1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg)
            cfg['module_kwargs'] = module_kwargs
            layers.append(MODELS.build(cfg))
            self.in_channels = out_channels
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward computation.

        Args:
            x (Tensor): ``(N, 3, H, W)`` images.

        Returns:
            tuple[Tensor]: The outputs of the stages in ``out_indices``.
        """
        x = self.conv1(x)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            for param in self.conv1.parameters():
                param.requires_grad = False
        for i in range(self.frozen_stages):
            layer = self.layers[i]
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'SearchableMobileNetV2':
        """Train mode that keeps frozen stages and (optionally) BN in eval
        mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
