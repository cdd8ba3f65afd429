# Copyright (c) OpenMMLab. All rights reserved.
"""Channel units that own a mutable channel."""
import abc
import functools
from typing import Dict, List, Type, Union

from torch import nn

from ..base_mutable_channel import BaseMutableChannel
from ..mutable_channel_container import MutableChannelContainer
from .channel_unit import Channel, ChannelUnit, get_module


def default_dynamic_op_map() -> Dict[type, type]:
    """Plain op type -> dynamic op type used by ``prepare_for_pruning``."""
    from mmrazor.models.architectures import dynamic_ops as d
    from mmrazor.models.architectures.dynamic_ops.bricks.dynamic_norm import \
        layer_norm_2d_classes
    mapping = dict(_fixed_dynamic_op_map())
    for ln2d in layer_norm_2d_classes():
        mapping[ln2d] = d.DynamicLayerNorm2d
    return mapping


@functools.lru_cache(maxsize=None)
def _fixed_dynamic_op_map() -> Dict[type, type]:
    # the imports below are slow to repeat for every unit
    from mmengine.model.utils import _BatchNormXd

    from mmrazor.models.architectures import dynamic_ops as d
    mapping = {
        nn.Conv2d: d.DynamicConv2d,
        nn.Linear: d.DynamicLinear,
        nn.BatchNorm1d: d.DynamicBatchNorm1d,
        nn.BatchNorm2d: d.DynamicBatchNorm2d,
        nn.BatchNorm3d: d.DynamicBatchNorm3d,
        nn.SyncBatchNorm: d.DynamicSyncBatchNorm,
        _BatchNormXd: d.DynamicBatchNormXd,
        nn.LayerNorm: d.DynamicLayerNorm,
        nn.GroupNorm: d.DynamicGroupNorm,
    }
    from mmrazor.models.architectures.dynamic_ops.bricks.dynamic_conv import \
        DynamicConvTranspose2d
    mapping[nn.ConvTranspose2d] = DynamicConvTranspose2d
    try:  # mmcv's ConvTranspose2d ('deconv' of build_upsample_layer)
        from mmcv.cnn.bricks.wrappers import \
            ConvTranspose2d as MMCVConvTranspose2d
        mapping[MMCVConvTranspose2d] = DynamicConvTranspose2d
    except ImportError:  # pragma: no cover
        pass
    try:
        from mmcv.cnn.bricks.conv2d_adaptive_padding import \
            Conv2dAdaptivePadding
        mapping[Conv2dAdaptivePadding] = d.DynamicConv2dAdaptivePadding
    except ImportError:  # pragma: no cover
        pass
    try:
        from mmcv.ops import SyncBatchNorm as MMCVSyncBN
        mapping[MMCVSyncBN] = d.DynamicSyncBatchNorm
    except (ImportError, OSError):  # pragma: no cover
        pass  # mmcv without compiled ops: no mmcv SyncBatchNorm to map
    return mapping


class MutableChannelUnit(ChannelUnit):
    """A channel unit whose channels follow ``self.mutable_channel``.

    Subclasses define the mutable and how choices map onto masks.
    """

    mutable_channel: BaseMutableChannel

    def __init__(self, num_channels: int, **kwargs) -> None:
        super().__init__(num_channels)

    # choices ---------------------------------------------------------------
    @property
    @abc.abstractmethod
    def current_choice(self):
        """The current choice."""

    @current_choice.setter
    @abc.abstractmethod
    def current_choice(self, choice) -> None:
        """Set the choice."""

    @abc.abstractmethod
    def sample_choice(self):
        """A random valid choice."""

    @abc.abstractmethod
    def prepare_for_pruning(self, model: nn.Module) -> None:
        """Replace ops with dynamic ops and register the mutable."""

    def fix_chosen(self, choice=None) -> None:
        """Fix the unit (to ``choice`` if given)."""
        if choice is not None:
            self.current_choice = choice
        self.mutable_channel.fix_chosen()

    @property
    def is_mutable(self) -> bool:
        """Dynamic ops on both sides and every channel prunable."""
        if not self.output_related or not self.input_related:
            return False
        return all(c.is_mutable
                   for c in self.output_related + self.input_related)

    # construction ------------------------------------------------------------
    @classmethod
    def init_from_predefined_model(
            cls, model: nn.Module) -> List['MutableChannelUnit']:
        """Units of a model that already holds dynamic ops with
        :class:`MutableChannelContainer` s (one unit per source mutable).

        Args:
            model (nn.Module): The model.

        Returns:
            List[MutableChannelUnit]: The units.
        """
        from mmrazor.models.architectures.dynamic_ops import \
            DynamicChannelMixin
        from ...derived_mutable import DerivedMutable
        units: Dict[int, 'MutableChannelUnit'] = {}
        for name, module in model.named_modules():
            if not isinstance(module, DynamicChannelMixin):
                continue
            for is_out, attr in ((True, 'out_channels'), (False,
                                                          'in_channels')):
                try:
                    container = module.get_mutable_attr(attr)
                except ValueError:
                    container = None
                if not isinstance(container, MutableChannelContainer):
                    continue
                for (start, end), mutable in \
                        container.mutable_channels.items():
                    expand = 1
                    if isinstance(mutable, DerivedMutable):
                        sources = list(mutable.source_mutables)
                        if len(sources) != 1:
                            continue
                        source = sources[0]
                        if not isinstance(source, BaseMutableChannel):
                            continue
                        expand = max(1, (end - start) // source.num_channels)
                        mutable = source
                    if not isinstance(mutable, BaseMutableChannel) or \
                            type(mutable).__name__ == '_FillMutableChannel':
                        continue
                    if id(mutable) not in units:
                        unit = cls(mutable.num_channels)
                        unit.mutable_channel = mutable
                        units[id(mutable)] = unit
                    units[id(mutable)].add_channel(
                        Channel(
                            name,
                            module, (start, end),
                            is_output_channel=is_out,
                            expand_ratio=expand))
        return list(units.values())

    def _replace_with_dynamic_ops(
            self, model: nn.Module,
            dynamicop_map: Dict[Type[nn.Module], Type[nn.Module]]) -> None:
        """Replace this unit's modules with dynamic ops, in place."""
        for channel in self.input_related + self.output_related:
            module = get_module(model, channel.name)
            if type(module) in dynamicop_map:
                new = dynamicop_map[type(module)].convert_from(module)
                _set_module(model, channel.name, new)
                module = new
            channel.module = module

    def _register_channel_container(
            self, model: nn.Module,
            container_class: Type[MutableChannelContainer]) -> None:
        from mmrazor.models.architectures.dynamic_ops import \
            DynamicChannelMixin
        from ..mutable_channel_container import module_channel_num
        for channel in self.input_related + self.output_related:
            module = channel.module
            if not isinstance(module, DynamicChannelMixin):
                continue
            attr = 'out_channels' if channel.is_output_channel else \
                'in_channels'
            if module.get_mutable_attr(attr) is None:
                module.register_mutable_attr(
                    attr,
                    container_class(
                        module_channel_num(module, channel.is_output_channel)))

    def _register_mutable_channel(self,
                                  mutable_channel: BaseMutableChannel) -> None:
        from mmrazor.models.architectures.dynamic_ops import \
            DynamicChannelMixin
        for channel in self.input_related + self.output_related:
            module = channel.module
            if not isinstance(module, DynamicChannelMixin):
                continue
            start, end = channel.index
            num = end - start
            mutable: Union[BaseMutableChannel, nn.Module] = mutable_channel
            if num != self.num_channels:
                if num % self.num_channels != 0:
                    raise ValueError(
                        f'unit {self.name}: channel {channel} has {num} '
                        'channels, not a multiple of the unit\'s '
                        f'{self.num_channels}')
                mutable = mutable_channel.expand_mutable_channel(
                    num // self.num_channels)
            MutableChannelContainer.register_mutable_channel_to_module(
                module, mutable, channel.is_output_channel, start, end)

    def config_template(self,
                        with_init_args: bool = False,
                        with_channels: bool = False) -> Dict:
        cfg: Dict = {}
        if with_init_args:
            cfg['init_args'] = dict(self.init_args)
        if with_channels:
            cfg['channels'] = self.channels_template()
        cfg['choice'] = self.current_choice
        return cfg


def _set_module(model: nn.Module, name: str, new: nn.Module) -> None:
    if name == '':
        raise ValueError('the root module can not be replaced by a '
                         'dynamic op')
    parent_name, _, attr = name.rpartition('.')
    parent = get_module(model, parent_name)
    setattr(parent, attr, new)
