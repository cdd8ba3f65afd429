# Copyright (c) OpenMMLab. All rights reserved.
"""Channels and channel units: groups of channels pruned together."""
import copy
from typing import Dict, List, Optional, Tuple

from mmengine.model import BaseModule
from torch import nn


def get_module(model: nn.Module, name: str) -> nn.Module:
    """The submodule ``name`` of ``model`` ('' is the model itself).

    Raises:
        KeyError: ``name`` is not a submodule.
    """
    if name == '':
        return model
    # fast path: walk the child dicts (what ``get_submodule`` finds for
    # plain children, without its attribute lookups per level)
    mod = model
    for item in name.split('.'):
        sub = mod._modules.get(item)
        if sub is None or not is_plain_child(mod, item):
            break
        mod = sub
    else:
        return mod
    try:
        return model.get_submodule(name)
    except AttributeError as e:
        raise KeyError(f'module `{name}` not found in '
                       f'{type(model).__name__}; expected a module path of '
                       'this model (a unit config written for another '
                       'model?)') from e


def is_plain_child(mod: nn.Module, item: str) -> bool:
    """Whether ``getattr(mod, item)`` is ``mod._modules[item]``: nothing
    of the same name on the class, the instance, in the parameters or
    buffers, and the lookup is ``nn.Module``'s.

    Args:
        mod (nn.Module): The parent module.
        item (str): The attribute name.

    Returns:
        bool: True when the child dict alone decides the lookup.
    """
    cls = type(mod)
    return cls.__getattr__ is _MODULE_GETATTR and \
        cls.__getattribute__ is _OBJECT_GETATTRIBUTE and \
        item not in mod.__dict__ and item not in mod._parameters and \
        item not in mod._buffers and not hasattr(cls, item)


_MODULE_GETATTR = nn.Module.__getattr__
_OBJECT_GETATTRIBUTE = object.__getattribute__


class Channel:
    """A range of input or output channels of one module.

    Args:
        name (str): The module path.
        module (nn.Module): The module.
        index (Tuple[int, int]): ``(start, end)`` of the channels.
        node (optional): The graph node (unused, kept for compatibility).
        is_output_channel (bool): Output (True) or input channels.
        expand_ratio (int): Channels per unit channel (a flattened feature
            map gives ``H*W`` Linear inputs per channel). Defaults to 1.
    """

    def __init__(self,
                 name: str,
                 module: Optional[nn.Module],
                 index: Tuple[int, int],
                 node=None,
                 is_output_channel: bool = True,
                 expand_ratio: int = 1) -> None:
        self.name = name
        self.module = module
        self.index = (int(index[0]), int(index[1]))
        self.node = node
        self.is_output_channel = is_output_channel
        self.expand_ratio = expand_ratio

    @classmethod
    def init_from_cfg(cls, model: nn.Module, config: Dict) -> 'Channel':
        """Build from ``{'name', 'start', 'end', 'is_output_channel'}``."""
        if 'name' not in config:
            raise KeyError(f'channel config {config} has no `name`')
        module = get_module(model, config['name'])
        from .mutable_channel_container_utils import channel_num
        is_out = config.get('is_output_channel', True)
        start = config.get('start', 0)
        end = config.get('end', channel_num(module, is_out))
        return cls(
            config['name'],
            module, (start, end),
            is_output_channel=is_out,
            expand_ratio=config.get('expand_ratio', 1))

    @property
    def num_channels(self) -> int:
        return self.index[1] - self.index[0]

    @property
    def is_mutable(self) -> bool:
        """Dynamic ops and parameter-free modules can be pruned."""
        from mmrazor.models.architectures.dynamic_ops import \
            DynamicChannelMixin
        if isinstance(self.module, DynamicChannelMixin):
            return True
        return len(list(self.module.parameters())) == 0

    def config_template(self) -> Dict:
        """``{'name', 'start', 'end', 'is_output_channel'}``."""
        cfg = dict(
            name=self.name,
            start=self.index[0],
            end=self.index[1],
            is_output_channel=self.is_output_channel)
        if self.expand_ratio != 1:
            cfg['expand_ratio'] = self.expand_ratio
        return cfg

    def __repr__(self) -> str:
        side = 'out' if self.is_output_channel else 'in'
        return f'Channel({self.name}, {self.index}, {side})'


def _renamed(error: Exception, cls: type, num_channels: int,
             channels: List[Channel]) -> Exception:
    """``error`` of a unit's constructor, with the unit named as the mutator
    names it (``{module}_{(start, end)}_{num}``) and its modules listed."""
    if not channels:
        return error
    first = channels[0]
    name = f'{first.name}_{first.index}_{num_channels}'
    modules = ', '.join(f"{c.name} {'out' if c.is_output_channel else 'in'} "
                        f'{c.index[0]}:{c.index[1]}' for c in channels[:6])
    if len(channels) > 6:
        modules += f', ... ({len(channels)} channels)'
    text = str(error).replace(f'unit unit_{num_channels}:', f'unit {name}:', 1)
    if not text.startswith(f'unit {name}'):
        text = f'unit {name}: {text}'
    message = f'{text} [{cls.__name__} of {num_channels} channels: ' \
        f'{modules}]'
    try:
        return type(error)(message)
    except TypeError:  # an error class with other arguments: keep it
        return error


class ChannelUnit(BaseModule):
    """A group of channels that must be pruned together.

    Args:
        num_channels (int): The number of channels of the unit.
    """

    def __init__(self, num_channels: int, **kwargs) -> None:
        super().__init__()
        self.num_channels = num_channels
        self.output_related: List[Channel] = []
        self.input_related: List[Channel] = []
        self.init_args: Dict = {}

    @classmethod
    def init_from_cfg(cls, model: nn.Module, config: Dict) -> 'ChannelUnit':
        """Build from a unit config with ``init_args`` and ``channels``."""
        # the channel configs are only read (each is copied below); a deep
        # copy of them is the main cost for big models
        init_args = copy.deepcopy(config.get('init_args', {}))
        if 'num_channels' not in init_args:
            raise KeyError('unit config needs init_args.num_channels, got '
                           f'{config}')
        channels = config.get('channels', {})
        built = {}
        for key, is_out in (('input_related', False), ('output_related',
                                                       True)):
            built[key] = []
            for ch_cfg in channels.get(key, []):
                ch_cfg = dict(ch_cfg)
                ch_cfg['is_output_channel'] = is_out
                built[key].append(Channel.init_from_cfg(model, ch_cfg))
        try:
            unit = cls(**init_args)
        except (ValueError, TypeError) as error:
            # the unit checks its arguments before it has channels, so
            # it could only call itself by its channel number: name it by
            # its modules here
            raise _renamed(error, cls, init_args['num_channels'],
                           built['output_related'] +
                           built['input_related']) from error
        for key in ('input_related', 'output_related'):
            for channel in built[key]:
                unit.add_channel(channel)
        if 'choice' in config and config['choice'] is not None:
            unit._pending_choice = copy.deepcopy(config['choice'])
        return unit

    @classmethod
    def init_from_channel_unit(cls,
                               unit: 'ChannelUnit',
                               args: Dict = {}) -> 'ChannelUnit':
        """A new unit of type ``cls`` with the channels of ``unit``."""
        new = cls(unit.num_channels, **args)
        new.input_related = list(unit.input_related)
        new.output_related = list(unit.output_related)
        return new

    def add_channel(self, channel: Channel) -> None:
        """Add an input or output related channel."""
        if channel.is_output_channel:
            self.output_related.append(channel)
        else:
            self.input_related.append(channel)

    @property
    def name(self) -> str:
        """``f'{first_channel.name}_{first_channel.index}_{num}'``."""
        first = self.output_related[0] if self.output_related else \
            (self.input_related[0] if self.input_related else None)
        if first is None:
            return f'unit_{self.num_channels}'
        return f'{first.name}_{first.index}_{self.num_channels}'

    @property
    def alias(self) -> str:
        return self.name

    @property
    def is_mutable(self) -> bool:
        channels = self.output_related + self.input_related
        return bool(channels) and all(c.is_mutable for c in channels)

    def config_template(self,
                        with_init_args: bool = False,
                        with_channels: bool = False) -> Dict:
        """The config of the unit (see §6.3 of the format docs)."""
        cfg: Dict = {}
        if with_init_args:
            cfg['init_args'] = dict(num_channels=self.num_channels)
        if with_channels:
            cfg['channels'] = self.channels_template()
        return cfg

    def channels_template(self) -> Dict:
        return dict(
            input_related=[c.config_template() for c in self.input_related],
            output_related=[c.config_template() for c in self.output_related])

    def extra_repr(self) -> str:
        return (f'name={self.name}, num_channels={self.num_channels}, '
                f'out={len(self.output_related)}, '
                f'in={len(self.input_related)}')
