# Copyright (c) OpenMMLab. All rights reserved.
"""The SPOS / DetNAS ShuffleNetV2 search space."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, normal_init
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.registry import MODELS


@MODELS.register_module()
class SearchableShuffleNetV2(BaseModule):
    """Based on ShuffleNetV2 backbone.

    Args:
        arch_setting (list[list]): Architecture settings; each stage is
            ``[channels, num_blocks, mutable_cfg]``. Every block is built
            from ``mutable_cfg`` (e.g. an ``OneShotMutableOP`` over
            ``ShuffleBlock`` 3/5/7 and ``ShuffleXception``) with
            ``module_kwargs`` holding ``in_channels``, ``out_channels`` and
            ``stride`` (2 for the first block of a stage).
        stem_multiplier (int): Stem channels multiplier (16 channels by
            default). Defaults to 1.
        widen_factor (float): Width multiplier of the stages. Defaults to
            1.0.
        out_indices (Sequence[int]): Output from which stages; index
            ``len(arch_setting)`` is the last 1x1 conv layer. Defaults to
            ``(4, )``.
        frozen_stages (int): Stages to be frozen (all param fixed); -1 means
            not freezing any parameters. Defaults to -1.
        with_last_layer (bool): Whether to add a 1x1 conv to 1024 channels
            after the stages. Defaults to True.
        conv_cfg (dict, optional): Config of the convs. Defaults to None.
        norm_cfg (dict): Config of the norms. Defaults to ``BN``.
        act_cfg (dict): Activation. Defaults to ``ReLU``.
        norm_eval (bool): Keep BN in eval mode. Defaults to False.
        in_channels (int): Channels of the input images (an extension,
            e.g. 1 for grey images). Defaults to 3.
        with_cp (bool): Use checkpointing. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialization config.

    Examples:
        >>> import torch
        >>> from mmrazor.models import SearchableShuffleNetV2
        >>> mutable = dict(type='OneShotMutableOP', candidates=dict(
        ...     shuffle_3x3=dict(type='ShuffleBlock', kernel_size=3),
        ...     shuffle_xception=dict(type='ShuffleXception')))
        >>> net = SearchableShuffleNetV2(
        ...     arch_setting=[[32, 1, mutable], [64, 1, mutable]],
        ...     out_indices=(1, ), with_last_layer=False)
        >>> outs = net(torch.rand(1, 3, 64, 64))
        >>> outs[0].shape
        torch.Size([1, 64, 8, 8])
    """

    def __init__(self,
                 arch_setting: List[List],
                 stem_multiplier: int = 1,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (4, ),
                 frozen_stages: int = -1,
                 with_last_layer: bool = True,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 in_channels: int = 3,
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        layers_nums = len(arch_setting) + (1 if with_last_layer else 0)
        for index in out_indices:
            if index not in range(0, layers_nums):
                raise ValueError('the item in out_indices must be in '
                                 f'range(0, {layers_nums}). But received '
                                 f'{index}')
        if frozen_stages not in range(-1, layers_nums):
            raise ValueError('frozen_stages must be in range(-1, '
                             f'{layers_nums}). But received {frozen_stages}')
        super().__init__(init_cfg)
        self.arch_setting = arch_setting
        self.widen_factor = widen_factor
        self.out_indices = tuple(out_indices)
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.norm_eval = norm_eval
        self.frozen_stages = frozen_stages
        self.with_cp = with_cp

        last_channels = 1024
        self.in_channels = 16 * stem_multiplier
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
            if len(stage) != 3:
                raise ValueError('Each stage of arch_setting must be '
                                 '[channels, num_blocks, mutable_cfg], got '
                                 f'{stage}')
            channel, num_blocks, mutable_cfg = stage
            out_channels = round(channel * widen_factor)
            self.layers.append(
                self._make_layer(out_channels, num_blocks,
                                 copy.deepcopy(mutable_cfg)))

        if with_last_layer:
            self.layers.append(
                ConvModule(
                    in_channels=self.in_channels,
                    out_channels=last_channels,
                    kernel_size=1,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))

    def _make_layer(self, out_channels: int, num_blocks: int,
                    mutable_cfg: Dict) -> nn.Sequential:
        """Stack ``num_blocks`` searchable blocks.

        Args:
            out_channels (int): out_channels of the blocks.
            num_blocks (int): Number of blocks.
            mutable_cfg (dict): Config of the mutable of every block.

        Returns:
            nn.Sequential: The layer made.
        """
        layers = []
        for i in range(num_blocks):
            stride = 2 if i == 0 else 1
            cfg = copy.deepcopy(mutable_cfg)
            module_kwargs = dict(cfg.get('module_kwargs') or {})
            module_kwargs.update(
                in_channels=self.in_channels,
                out_channels=out_channels,
                stride=stride,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg)
            if self.with_cp:
                module_kwargs['with_cp'] = True
            cfg['module_kwargs'] = module_kwargs
            layers.append(MODELS.build(cfg))
            self.in_channels = out_channels
        return nn.Sequential(*layers)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            for param in self.conv1.parameters():
                param.requires_grad = False
        for i in range(self.frozen_stages):
            m = self.layers[i]
            m.eval()
            for param in m.parameters():
                param.requires_grad = False

    def init_weights(self) -> None:
        """Init weights like the official ShuffleNetV2 (skipped when a
        pretrained ``init_cfg`` is given)."""
        super().init_weights()
        self._freeze_stages()
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            return
        for name, m in self.named_modules():
            if isinstance(m, nn.Conv2d):
                if 'conv1' in name:
                    normal_init(m, mean=0, std=0.01)
                else:
                    normal_init(m, mean=0, std=1.0 / m.weight.shape[1])
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)):
                if m.weight is not None:
                    constant_init(m, val=1, bias=0.0001)
                if isinstance(m, _BatchNorm) and m.running_mean is not None:
                    nn.init.constant_(m.running_mean, 0)

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

    def train(self, mode: bool = True) -> 'SearchableShuffleNetV2':
        """Train mode that keeps frozen stages and (optionally) BN in eval
        mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
