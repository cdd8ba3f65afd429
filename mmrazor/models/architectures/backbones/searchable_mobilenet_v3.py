# Copyright (c) OpenMMLab. All rights reserved.
"""BigNAS / AttentiveNAS / Once-for-All MobileNetV3 supernet."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.model import BaseModule, Sequential
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.registry import MODELS
from ..dynamic_ops import DynamicSequential
from ..dynamic_ops.mixins.dynamic_mixins import DynamicMixin
from ..ops.mobilenet_series import MBBlock, ShortcutLayer

_ARCH_KEYS = ('kernel_size', 'num_blocks', 'expand_ratio',
              'num_out_channels')


def _expand_range(key: str, idx: int, spec) -> List:
    """``[min, max, step]`` -> the list of choices."""
    if not isinstance(spec, (list, tuple)) or len(spec) != 3:
        raise ValueError(f'arch_setting[{key!r}][{idx}] must be [min, max, '
                         f'step], got {spec!r}')
    low, high, step = spec
    if step <= 0 or low > high:
        raise ValueError(f'arch_setting[{key!r}][{idx}] = {list(spec)}: '
                         'needs min <= max and step > 0')
    values = []
    v = low
    while v <= high:
        values.append(v)
        v += step
    return values


class DynamicShortcutLayer(ShortcutLayer, DynamicMixin):
    """Attentive shortcut of a searchable block: avg-pool by the stride,
    then a 1x1 projection only when the active input and output widths
    differ (identity otherwise, as in AttentiveNAS).

    Args:
        in_channels (int): Max input channels.
        out_channels (int): Max output channels.
        reduction (int): Spatial reduction (the block's stride).
        conv_cfg (dict, optional): Config of the (dynamic) 1x1 conv.
    """

    accepted_mutable_attrs: set = set()

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 reduction: int = 1,
                 conv_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        nn.Module.__init__(self)
        self.reduction = reduction
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.conv = ConvModule(
            in_channels,
            out_channels,
            1,
            bias=False,
            conv_cfg=conv_cfg,
            act_cfg=None)
        self.mutable_attrs = nn.ModuleDict()

    def _active_channels(self, attr: str, num: int) -> int:
        conv = self.conv.conv
        if not hasattr(conv, 'get_mask_and_prefix'):
            return num
        mask, k = conv.get_mask_and_prefix(attr, num)
        if mask is None:
            return num
        return k if k is not None else int(mask.sum())

    def forward(self, x: Tensor) -> Tensor:
        """Pool, and project when the widths differ."""
        if self.reduction > 1:
            padding = 0 if x.size(-1) % 2 == 0 else 1
            x = nn.functional.avg_pool2d(
                x, self.reduction, padding=padding, ceil_mode=True)
        if x.size(1) != self._active_channels('out_channels',
                                              self.out_channels):
            x = self.conv(x)
        return x

    @classmethod
    def convert_from(cls, module: ShortcutLayer) -> 'DynamicShortcutLayer':
        """Take over a :class:`ShortcutLayer` with a projection conv (its
        conv module is reused).

        Raises:
            ValueError: ``module`` has no projection conv.
        """
        if module.conv is None:
            raise ValueError('DynamicShortcutLayer.convert_from needs a '
                             'ShortcutLayer with a projection conv')
        new = cls.__new__(cls)
        nn.Module.__init__(new)
        new.reduction = module.reduction
        new.in_channels = module.conv.conv.in_channels
        new.out_channels = module.conv.conv.out_channels
        new.conv = module.conv
        new.mutable_attrs = nn.ModuleDict()
        return new

    @property
    def static_op_factory(self):
        return ShortcutLayer

    def to_static_op(self) -> nn.Module:
        """A :class:`ShortcutLayer` with the projection only if the
        active widths differ (its dynamic conv is converted after)."""
        in_c = self._active_channels('in_channels', self.in_channels)
        out_c = self._active_channels('out_channels', self.out_channels)
        static = ShortcutLayer(in_c, in_c, reduction=self.reduction)
        if in_c != out_c:
            static.conv = self.conv
        return static


@MODELS.register_module()
class AttentiveMobileNetV3(BaseModule):
    """Searchable MobileNetV3 of BigNAS / AttentiveNAS / Once-for-All.

    The supernet holds the largest network; every stage (``layer{i}``) is
    a :class:`DynamicSequential` of :class:`MBBlock` s built with the
    dynamic ``conv_cfg`` / ``norm_cfg``, and :meth:`register_mutables`
    creates the search space with these aliases (the keys of the subnet
    YAML):

    * ``backbone.first_channels`` / ``backbone.last_channels``
      (``OneShotMutableChannel``);
    * ``backbone.layers.{i}.out_channels`` (channels) and
      ``backbone.layers.{i}.depth`` (value);
    * ``backbone.layers.{i}.kernel_size`` / ``.expand_ratio`` per stage,
      or with ``fine_grained_mode`` per block:
      ``backbone.layers.{i}.{k}.kernel_size`` / ``.expand_ratio`` (and
      ``.expand_ratio_se``, the width of the SE squeeze, for SE blocks).

    Args:
        arch_setting (dict): ``kernel_size`` / ``num_blocks`` (one
            ``[min, max, step]`` per stage), ``expand_ratio`` (per stage
            plus the last conv), ``num_out_channels`` (first conv, each
            stage, last conv).
        widen_factor (float): Unused width multiplier kept for config
            compatibility; must be 1. Defaults to 1.
        out_indices (Sequence[int]): Outputs among ``layers`` (the stages
            then the last conv). Defaults to the last conv.
        frozen_stages (int): Stages (first conv = 0) to freeze.
        stride_list (list[int]): Stride of each stage.
        with_se_list (list[bool]): SE per stage.
        act_cfg_list (list[str | dict]): Activation of the first conv, each
            stage and the last conv.
        conv_cfg (dict): Dynamic conv (``BigNasConv2d`` / ``OFAConv2d``).
        norm_cfg (dict): Dynamic norm (``DynamicBatchNorm2d``).
        fine_grained_mode (bool): Kernel size / expand ratio per block
            instead of per stage. Defaults to False.
        with_attentive_shortcut (bool): Attentive shortcut (pool + 1x1
            projection) on every block. Defaults to True.
        norm_eval (bool): Keep BN in eval mode when training.
        zero_init_residual (bool): Zero the last BN of every block.
        with_cp (bool): Checkpointing in the blocks.
        in_channels (int): Image channels. Defaults to 3.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 arch_setting: Dict[str, List],
                 widen_factor: float = 1.,
                 out_indices: Optional[Sequence[int]] = None,
                 frozen_stages: int = -1,
                 stride_list: Sequence[int] = (1, 2, 2, 2, 1, 2, 1),
                 with_se_list: Sequence[bool] = (False, False, True, False,
                                                 True, True, True),
                 act_cfg_list: Sequence[Union[str, Dict]] = ('Swish', ) * 9,
                 conv_cfg: Dict = dict(type='mmrazor.BigNasConv2d'),
                 norm_cfg: Dict = dict(type='mmrazor.DynamicBatchNorm2d'),
                 fine_grained_mode: bool = False,
                 with_attentive_shortcut: bool = True,
                 norm_eval: bool = False,
                 zero_init_residual: bool = True,
                 with_cp: bool = False,
                 in_channels: int = 3,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        from mmcv.cnn import ConvModule
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d'),
                dict(type='Constant', val=1, layer=['_BatchNorm'])
            ]
        super().__init__(init_cfg)
        if widen_factor != 1:
            raise ValueError('AttentiveMobileNetV3 searches widths through '
                             'arch_setting; widen_factor must be 1, got '
                             f'{widen_factor}')
        self._parse_arch_setting(arch_setting, stride_list, with_se_list,
                                 act_cfg_list)
        num_layers = self.num_stages + 1
        if out_indices is None:
            out_indices = (num_layers - 1, )
        for idx in out_indices:
            if not 0 <= idx < num_layers:
                raise ValueError(
                    f'out_indices {tuple(out_indices)} must be in [0, '
                    f'{num_layers - 1}] (the {self.num_stages} stages then '
                    'the last conv)')
        self.out_indices = tuple(out_indices)
        if frozen_stages not in range(-1, num_layers + 1):
            raise ValueError(f'frozen_stages must be in [-1, {num_layers}], '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.conv_cfg = copy.deepcopy(conv_cfg)
        self.norm_cfg = copy.deepcopy(norm_cfg)
        self.fine_grained_mode = fine_grained_mode
        self.with_attentive_shortcut = with_attentive_shortcut
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual
        self.with_cp = with_cp

        self.in_channels = max(self.first_channels_list)
        self.first_conv = ConvModule(
            in_channels,
            self.in_channels,
            3,
            stride=2,
            padding=1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfgs[0])

        self.layer_names: List[str] = []
        for i in range(self.num_stages):
            layer = self._make_stage(i)
            name = f'layer{i + 1}'
            self.add_module(name, layer)
            self.layer_names.append(name)

        last_in = self.in_channels
        last_mid = int(last_in * max(self.expand_ratio_list[-1]))
        self.out_channels = max(self.last_channels_list)
        self.last_conv = Sequential()
        self.last_conv.add_module(
            'final_expand_layer',
            ConvModule(
                last_in,
                last_mid,
                1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfgs[-1]))
        self.last_conv.add_module('pool', nn.AdaptiveAvgPool2d((1, 1)))
        self.last_conv.add_module(
            'feature_mix_layer',
            ConvModule(
                last_mid,
                self.out_channels,
                1,
                bias=False,
                conv_cfg=self.conv_cfg,
                norm_cfg=None,
                act_cfg=self.act_cfgs[-1]))
        self.layer_names.append('last_conv')
        self.register_mutables()

    # construction ---------------------------------------------------------
    def _parse_arch_setting(self, arch_setting, stride_list, with_se_list,
                            act_cfg_list) -> None:
        if not isinstance(arch_setting, dict):
            raise TypeError('arch_setting must be a dict with keys '
                            f'{_ARCH_KEYS}, got {type(arch_setting).__name__}')
        missing = [k for k in _ARCH_KEYS if k not in arch_setting]
        if missing:
            raise KeyError(f'arch_setting misses keys {missing}; expected '
                           f'{list(_ARCH_KEYS)}')
        kernels = [
            _expand_range('kernel_size', i, s)
            for i, s in enumerate(arch_setting['kernel_size'])
        ]
        blocks = [
            _expand_range('num_blocks', i, s)
            for i, s in enumerate(arch_setting['num_blocks'])
        ]
        expands = [
            _expand_range('expand_ratio', i, s)
            for i, s in enumerate(arch_setting['expand_ratio'])
        ]
        channels = [
            _expand_range('num_out_channels', i, s)
            for i, s in enumerate(arch_setting['num_out_channels'])
        ]
        n = len(kernels)
        if len(blocks) != n or len(expands) != n + 1 or \
                len(channels) != n + 2:
            raise ValueError(
                'arch_setting sizes do not match: kernel_size and num_blocks '
                'need one entry per stage, expand_ratio one more (the last '
                'conv), num_out_channels two more (first and last conv); '
                f'got {len(kernels)}, {len(blocks)}, {len(expands)}, '
                f'{len(channels)}')
        if len(stride_list) != n or len(with_se_list) != n or \
                len(act_cfg_list) != n + 2:
            raise ValueError(
                f'stride_list and with_se_list need {n} entries and '
                f'act_cfg_list {n + 2} (first conv, stages, last conv); got '
                f'{len(stride_list)}, {len(with_se_list)}, '
                f'{len(act_cfg_list)}')
        if len(expands[-1]) != 1:
            raise ValueError('the expand ratio of the last conv is fixed; '
                             f'got choices {expands[-1]}')
        self.num_stages = n
        self.kernel_size_list = kernels
        self.num_blocks_list = blocks
        self.expand_ratio_list = expands
        self.first_channels_list = channels[0]
        self.num_channels_list = channels[1:-1]
        self.last_channels_list = channels[-1]
        self.stride_list = list(stride_list)
        self.with_se_list = list(with_se_list)
        self.act_cfgs = [
            dict(type=a) if isinstance(a, str) else dict(a)
            for a in act_cfg_list
        ]

    def _make_stage(self, i: int) -> DynamicSequential:
        from mmcv.cnn.bricks import DropPath
        out_channels = max(self.num_channels_list[i])
        kernel_size = max(self.kernel_size_list[i])
        expand_ratio = max(self.expand_ratio_list[i])
        se_cfg = None
        if self.with_se_list[i]:
            se_cfg = dict(
                ratio=4,
                divisor=8,
                conv_cfg=self.conv_cfg,
                act_cfg=(dict(type='ReLU'),
                         dict(type='HSigmoid', bias=3.0, divisor=6.0)))
        blocks = []
        for k in range(max(self.num_blocks_list[i])):
            stride = self.stride_list[i] if k == 0 else 1
            block = MBBlock(
                in_channels=self.in_channels,
                out_channels=out_channels,
                stride=stride,
                kernel_size=kernel_size,
                expand_ratio=expand_ratio,
                se_cfg=copy.deepcopy(se_cfg),
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfgs[i + 1],
                with_cp=self.with_cp,
                with_attentive_shortcut=False)
            block.drop_path = DropPath(0.)
            if self.with_attentive_shortcut:
                block.with_attentive_shortcut = True
                if k == 0:
                    block.shortcut = DynamicShortcutLayer(
                        self.in_channels,
                        out_channels,
                        reduction=stride,
                        conv_cfg=self.conv_cfg)
                else:
                    block.shortcut = ShortcutLayer(out_channels,
                                                   out_channels)
            elif k > 0 or (stride == 1 and
                           self.in_channels == out_channels and
                           len(self.num_channels_list[i]) == 1 and
                           self.num_channels_list[i] ==
                           (self.first_channels_list if i == 0 else
                            self.num_channels_list[i - 1])):
                # residual only where input and output widths always agree
                block.with_res_shortcut = True
            else:
                block.with_res_shortcut = False
            blocks.append(block)
            self.in_channels = out_channels
        return DynamicSequential(*blocks)

    @property
    def layers(self) -> List[nn.Module]:
        """The stages then the last conv (looked up by name, so static
        conversion is followed)."""
        return [getattr(self, name) for name in self.layer_names]

    # search space ---------------------------------------------------------
    def register_mutables(self) -> None:
        """Create the mutables of the search space (see the class doc)."""
        from mmcv.cnn import ConvModule
        from mmrazor.models.mutables import (MutableChannelContainer,
                                             OneShotMutableChannel,
                                             OneShotMutableValue)

        def channel(alias, choices):
            return OneShotMutableChannel(
                num_channels=max(choices),
                candidate_choices=list(choices),
                alias=alias)

        def register(conv_module, in_mutable=None, out_mutable=None):
            conv = conv_module.conv if hasattr(conv_module, 'conv') and \
                isinstance(conv_module, ConvModule) else conv_module
            if in_mutable is not None:
                MutableChannelContainer.register_mutable_channel_to_module(
                    conv, in_mutable, False)
            if out_mutable is not None:
                MutableChannelContainer.register_mutable_channel_to_module(
                    conv, out_mutable, True)
                norm = getattr(conv_module, 'norm', None) if isinstance(
                    conv_module, ConvModule) else None
                if norm is not None:
                    MutableChannelContainer.\
                        register_mutable_channel_to_module(
                            norm, out_mutable, True)

        self.first_mutable_channels = channel('backbone.first_channels',
                                              self.first_channels_list)
        register(self.first_conv, out_mutable=self.first_mutable_channels)
        in_mutable = self.first_mutable_channels
        self.stage_mutable_out_channels = nn.ModuleList()
        for i in range(self.num_stages):
            prefix = f'backbone.layers.{i + 1}.'
            layer = getattr(self, self.layer_names[i])
            out_mutable = channel(prefix + 'out_channels',
                                  self.num_channels_list[i])
            self.stage_mutable_out_channels.append(out_mutable)
            layer.register_mutable_attr(
                'depth',
                OneShotMutableValue(
                    value_list=self.num_blocks_list[i],
                    alias=prefix + 'depth'))
            if not self.fine_grained_mode:
                kernel = OneShotMutableValue(
                    value_list=self.kernel_size_list[i],
                    alias=prefix + 'kernel_size')
                expand = OneShotMutableValue(
                    value_list=self.expand_ratio_list[i],
                    alias=prefix + 'expand_ratio')
            for k, block in enumerate(layer._layers()):
                if self.fine_grained_mode:
                    kernel = OneShotMutableValue(
                        value_list=self.kernel_size_list[i],
                        alias=f'{prefix}{k}.kernel_size')
                    expand = OneShotMutableValue(
                        value_list=self.expand_ratio_list[i],
                        alias=f'{prefix}{k}.expand_ratio')
                self._mutate_block(block, in_mutable, out_mutable, kernel,
                                   expand, f'{prefix}{k}.', register)
                in_mutable = out_mutable
        self.last_mutable_channels = channel('backbone.last_channels',
                                             self.last_channels_list)
        last_mid = in_mutable * int(self.expand_ratio_list[-1][0])
        register(
            self.last_conv.final_expand_layer,
            in_mutable=in_mutable,
            out_mutable=last_mid)
        register(
            self.last_conv.feature_mix_layer,
            in_mutable=last_mid,
            out_mutable=self.last_mutable_channels)

    def _mutate_block(self, block: MBBlock, in_mutable, out_mutable, kernel,
                      expand, prefix: str, register) -> None:
        from mmrazor.models.mutables import OneShotMutableValue
        block.mutable_expand_ratio = expand
        mid = in_mutable * expand
        if block.with_expand_conv:
            register(block.expand_conv, in_mutable=in_mutable,
                     out_mutable=mid)
        elif max(expand.choices) != 1:
            raise ValueError(f'{prefix[:-1]}: a block without expand conv '
                             'needs expand ratio 1')
        register(block.depthwise_conv, in_mutable=mid, out_mutable=mid)
        block.depthwise_conv.conv.register_mutable_attr('kernel_size', kernel)
        if block.with_se:
            se_mid = mid
            if self.fine_grained_mode:
                se_expand = OneShotMutableValue(
                    value_list=list(expand.choices),
                    alias=prefix + 'expand_ratio_se')
                block.mutable_expand_ratio_se = se_expand
                se_mid = in_mutable * se_expand
            squeeze = se_mid.derive_divide_mutable(4, 8)
            register(block.se.conv1, in_mutable=mid, out_mutable=squeeze)
            register(block.se.conv2, in_mutable=squeeze, out_mutable=mid)
        register(block.linear_conv, in_mutable=mid, out_mutable=out_mutable)
        if isinstance(getattr(block, 'shortcut', None), DynamicShortcutLayer):
            register(
                block.shortcut.conv,
                in_mutable=in_mutable,
                out_mutable=out_mutable)

    def accept_legacy_subnet_keys(self, keys: List[str],
                                  fix_mutable: Dict) -> List[str]:
        """Keys of published OFA subnet files that have no effect here:
        ``backbone.layers.{i}.{k}.expand_ratio_se`` of a block without SE
        (with a valid expand ratio). They are accepted with a warning.

        Args:
            keys (list[str]): Subnet keys no mutable matches.
            fix_mutable (dict): The subnet.

        Returns:
            list[str]: The accepted keys.
        """
        import re

        from mmrazor.utils import print_log
        accepted = []
        for key in keys:
            match = re.fullmatch(r'backbone\.layers\.(\d+)\.(\d+)\.'
                                 r'expand_ratio_se', key)
            if match is None or not self.fine_grained_mode:
                continue
            stage, block = int(match.group(1)), int(match.group(2))
            if not 1 <= stage <= self.num_stages or \
                    self.with_se_list[stage - 1] or \
                    block >= max(self.num_blocks_list[stage - 1]):
                continue
            value = fix_mutable[key]
            chosen = value.get('chosen') if isinstance(value, dict) else \
                getattr(value, 'chosen', value)
            if chosen in self.expand_ratio_list[stage - 1]:
                accepted.append(key)
        if accepted:
            print_log(
                'AttentiveMobileNetV3: ignoring subnet keys of blocks '
                f'without SE (no effect): {accepted}',
                logger='current',
                level=logging.WARNING)
        return accepted

    # forward ----------------------------------------------------------------
    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the active subnet; returns the ``out_indices`` features."""
        x = self.first_conv(x)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            self.first_conv.eval()
            for param in self.first_conv.parameters():
                param.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            layer = self.layers[i - 1]
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def init_weights(self) -> None:
        """Initialise, then zero the last BN of every block when
        ``zero_init_residual``."""
        super().init_weights()
        if self.zero_init_residual:
            for m in self.modules():
                if isinstance(m, MBBlock) and hasattr(m.linear_conv, 'bn'):
                    nn.init.constant_(m.linear_conv.bn.weight, 0)

    def train(self, mode: bool = True) -> 'AttentiveMobileNetV3':
        """Train mode with frozen stages and ``norm_eval`` applied."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
