# Copyright (c) OpenMMLab. All rights reserved.
"""Mutator that manages the channel units of a model for pruning."""
import copy
import json
import os.path as osp
from typing import Any, Dict, Generic, List, Optional, Type, TypeVar, Union

from mmengine import fileio
from torch import nn

from mmrazor.models.mutables import (MutableChannelUnit,
                                     SequentialMutableChannelUnit)
from mmrazor.registry import MODELS, TASK_UTILS
from mmrazor.utils.config_dict import as_config_dict
from ..base_mutator import BaseMutator

ChannelUnitType = TypeVar('ChannelUnitType', bound=MutableChannelUnit)


def _to_plain(cfg: Any) -> Any:
    if hasattr(cfg, 'to_dict'):
        return cfg.to_dict()
    if isinstance(cfg, dict):
        return {k: _to_plain(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_to_plain(v) for v in cfg)
    return cfg


def _load_units_file(path: str) -> Dict:
    """The ``units`` of a channel-unit JSON/YAML file (a mutator config
    written by ``dump_units_json`` or its ``units`` mapping)."""
    import json

    import yaml
    try:
        data = fileio.load(path)
    except (json.JSONDecodeError, yaml.YAMLError, ValueError,
            TypeError) as e:
        raise ValueError(f'channel_unit_cfg.units file {path} cannot be '
                         f'parsed ({type(e).__name__}: {e}); expected the '
                         'JSON written by ChannelMutator.dump_units_json or '
                         'tools/pruning/get_channel_units.py') from e
    if isinstance(data, dict) and 'channel_unit_cfg' in data:
        data = (data['channel_unit_cfg'] or {}).get('units', {})
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) for v in data.values()):
        raise TypeError(
            f'channel_unit_cfg.units file {path} holds a '
            f'{type(data).__name__} of the wrong shape; expected '
            '{unit_name: {"init_args": ..., "channels": ..., "choice": '
            '...}} or a mutator config with channel_unit_cfg.units')
    return data


def _check_choice_fits(unit: MutableChannelUnit, choice: Any) -> Any:
    """A channel-number choice above the unit's channels keeps them all,
    with a warning naming the unit: the published ``DMCP_MBV2_100M.json``
    asks 693 of the 576 channels of ``backbone.layer6.0.conv.0`` (every
    other choice of it fits the mmcls MobileNetV2 it was written on)."""
    if isinstance(choice, int) and not isinstance(choice, bool) and \
            choice > unit.num_channels:
        import warnings
        warnings.warn(
            f'unit {unit.name}: the choice keeps {choice} channels, but '
            f'the unit has {unit.num_channels}; all {unit.num_channels} '
            'are kept')
        return unit.num_channels
    return choice


def _check_channels_fit(model: nn.Module, unit_name: str,
                        unit_cfg: Dict) -> None:
    """The channel ranges of a unit config must fit the model's modules."""
    from mmrazor.models.mutables.mutable_channel.units.channel_unit import \
        get_module
    from mmrazor.models.mutables.mutable_channel.units import \
        mutable_channel_container_utils as utils
    channels = unit_cfg.get('channels', {})
    for key, is_out in (('input_related', False), ('output_related', True)):
        for ch in channels.get(key, []):
            try:
                module = get_module(model, ch['name'])
            except KeyError as e:
                raise KeyError(
                    f'unit {unit_name}: module {ch["name"]} is not in '
                    f'the model: not found in {type(model).__name__} (was '
                    'the config written for another model?)') from e
            try:
                num = utils.channel_num(module, is_out)
            except (TypeError, AttributeError):
                continue
            end = ch.get('end', num)
            if end > num:
                side = 'output' if is_out else 'input'
                raise ValueError(
                    f'unit {unit_name}: channels ({ch.get("start", 0)}, '
                    f'{end}) of {ch["name"]} exceed its {num} {side} '
                    'channels')


@MODELS.register_module()
class ChannelMutator(BaseMutator, Generic[ChannelUnitType]):
    """Manages the channel units (``self.units``) of a model.

    Args:
        channel_unit_cfg (type | dict): A unit class, or ``dict(type=...,
            default_args={...}, units={name: unit cfg} or a json path)``.
            Defaults to ``SequentialMutableChannelUnit``.
        parse_cfg (dict): How to find the units: ``dict(type=
            'ChannelAnalyzer', demo_input=..., tracer_type=...)``
            (automatic), ``dict(type='Config')`` (units with ``channels``
            from ``channel_unit_cfg``) or ``dict(type='Predefined')`` (the
            model already holds dynamic ops with containers). A
            ``from_cfg=True`` key forces the config path.
        custom_groups (list, optional): Unused by channel pruning; kept for
            config compatibility.
        init_cfg (dict, optional): Init config.
    """

    def __init__(self,
                 channel_unit_cfg: Union[Type[MutableChannelUnit],
                                         Dict] = SequentialMutableChannelUnit,
                 parse_cfg: Dict = dict(
                     _scope_='mmrazor',
                     type='ChannelAnalyzer',
                     demo_input=(1, 3, 224, 224),
                     tracer_type='FxTracer'),
                 custom_groups: Optional[List[List[str]]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.parse_cfg = _to_plain(dict(parse_cfg))
        self.units: nn.ModuleList = nn.ModuleList()
        self.unit_class, self.unit_default_args, self.units_cfg = \
            self._parse_channel_unit_cfg(channel_unit_cfg)
        self.custom_groups = custom_groups or []
        self.analysis_report = None

    # ---------------------------------------------------------------- parse
    @staticmethod
    def _parse_channel_unit_cfg(channel_unit_cfg):
        if isinstance(channel_unit_cfg, type):
            return channel_unit_cfg, {}, {}
        channel_unit_cfg = as_config_dict(channel_unit_cfg)
        if not isinstance(channel_unit_cfg, dict):
            raise TypeError('channel_unit_cfg must be a unit class or a '
                            f'dict, got {type(channel_unit_cfg).__name__}')
        cfg = _to_plain(copy.deepcopy(dict(channel_unit_cfg)))
        unit_type = cfg.get('type', SequentialMutableChannelUnit)
        if isinstance(unit_type, str):
            name = unit_type.split('.')[-1]
            unit_class = MODELS.get(name)
            if unit_class is None:
                raise KeyError(f'channel unit type {unit_type!r} is not '
                               'registered in MODELS')
        else:
            unit_class = unit_type
        default_args = cfg.get('default_args', {}) or {}
        units = cfg.get('units', {}) or {}
        if isinstance(units, str):
            if not osp.exists(units):
                raise FileNotFoundError(
                    f'channel_unit_cfg.units file {units} does not exist')
            units = _load_units_file(units)
        return unit_class, dict(default_args), dict(units)

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Find the units of ``supernet`` and prepare them for pruning
        (replaces ops with dynamic ops in place).

        Args:
            supernet (nn.Module): The model.
        """
        units = self._prepare_units(supernet)
        for unit in units:
            unit.prepare_for_pruning(supernet)
            pending = getattr(unit, '_pending_choice', None)
            if pending is not None:
                unit.current_choice = _check_choice_fits(unit, pending)
        self.units = nn.ModuleList(units)
        self._name2unit = None

    def _prepare_units(self, model: nn.Module) -> List[MutableChannelUnit]:
        parse_type = self.parse_cfg.get('type', 'ChannelAnalyzer')
        if isinstance(parse_type, str):
            parse_type = parse_type.split('.')[-1]
        if self.parse_cfg.get('from_cfg', False) or parse_type == 'Config':
            return self._units_from_cfg(model)
        if parse_type == 'Predefined':
            return self.unit_class.init_from_predefined_model(model)
        if parse_type in ('ChannelAnalyzer', 'BackwardTracer', 'FxTracer'):
            cfg = {
                k: v
                for k, v in self.parse_cfg.items()
                if k not in ('from_cfg', '_scope_')
            }
            if parse_type != 'ChannelAnalyzer':
                cfg = dict(
                    type='ChannelAnalyzer',
                    tracer_type=parse_type,
                    demo_input=cfg.get('demo_input', (1, 3, 224, 224)))
            cfg['type'] = 'ChannelAnalyzer'
            # the analysis types are mmrazor's, whatever the current scope
            from mmengine.registry import DefaultScope
            with DefaultScope.overwrite_default_scope('mmrazor'):
                if parse_type == 'BackwardTracer':
                    from mmrazor.models.task_modules.tracer import \
                        backward_tracer
                    build_backward_channel_analyzer = \
                        backward_tracer.build_backward_channel_analyzer
                    analyzer = build_backward_channel_analyzer(self.parse_cfg)
                else:
                    analyzer = TASK_UTILS.build(cfg)
            found = analyzer.analyze(model)
            self.analysis_report = getattr(found, 'report', None)
            units = []
            for name, unit_cfg in found.items():
                init_args = dict(self.unit_default_args)
                init_args['num_channels'] = \
                    unit_cfg['init_args']['num_channels']
                if name in self.units_cfg and \
                        'init_args' in self.units_cfg[name]:
                    init_args = dict(self.units_cfg[name]['init_args'])
                unit = self.unit_class.init_from_cfg(
                    model,
                    dict(init_args=init_args, channels=unit_cfg['channels']))
                if name in self.units_cfg and \
                        'choice' in self.units_cfg[name]:
                    unit._pending_choice = self.units_cfg[name]['choice']
                units.append(unit)
            from .units_cfg_check import check_unknown_units
            check_unknown_units(self.units_cfg, found, type(model).__name__)
            return units
        raise ValueError(f'unknown parse_cfg type {parse_type!r}; expected '
                         "'ChannelAnalyzer', 'Config' or 'Predefined'")

    def _units_from_cfg(self, model: nn.Module) -> List[MutableChannelUnit]:
        if not self.units_cfg:
            raise ValueError('parse_cfg type Config (or from_cfg) needs '
                             'channel_unit_cfg.units with channels')
        units = []
        for name, unit_cfg in self.units_cfg.items():
            unit_cfg = copy.deepcopy(unit_cfg)
            if 'channels' not in unit_cfg:
                raise KeyError(f'unit {name} has no `channels`; parse from '
                               'config needs them (dump with '
                               'with_channels=True)')
            init_args = dict(self.unit_default_args)
            init_args.update(unit_cfg.get('init_args', {}))
            unit_cfg['init_args'] = init_args
            _check_channels_fit(model, name, unit_cfg)
            units.append(self.unit_class.init_from_cfg(model, unit_cfg))
        return units

    # --------------------------------------------------------------- choices
    @property
    def mutable_units(self) -> List[ChannelUnitType]:
        """Units that can be pruned."""
        return [u for u in self.units if u.is_mutable]

    @property
    def search_groups(self) -> Dict[str, List]:
        return {u.name: [u.mutable_channel] for u in self.mutable_units}

    def _unit_by_name(self) -> Dict[str, MutableChannelUnit]:
        return {u.name: u for u in self.units}

    @property
    def current_choices(self) -> Dict[str, Any]:
        """``{unit_name: choice}`` of the mutable units."""
        return {u.name: u.current_choice for u in self.mutable_units}

    @property
    def choice_template(self) -> Dict[str, Any]:
        """Same as :attr:`current_choices` (a template to edit)."""
        return self.current_choices

    def set_choices(self, choices: Dict[str, Any]) -> None:
        """Set ``{unit_name: choice}``.

        Raises:
            KeyError: An unknown unit name.
        """
        units = self._unit_by_name()
        for name, choice in choices.items():
            if name not in units:
                raise KeyError(f'unknown unit {name!r}; known units: '
                               f'{list(units)[:10]}...')
            units[name].current_choice = choice

    def sample_choices(self, kind: str = 'random') -> Dict[str, Any]:
        """Random choices of the mutable units."""
        if kind != 'random':
            raise NotImplementedError(
                f'{type(self).__name__} samples only random choices, '
                f'got kind={kind!r}')
        return {u.name: u.sample_choice() for u in self.mutable_units}

    def fix_channel_mutables(self) -> None:
        """Fix every unit to its current choice."""
        for unit in self.units:
            if not unit.mutable_channel.is_fixed:
                unit.fix_chosen()

    def config_template(self,
                        only_mutable_units: bool = False,
                        with_unit_init_args: bool = False,
                        with_channels: bool = False) -> Dict:
        """The mutator config that rebuilds the current state.

        Returns:
            dict: ``{'type', 'channel_unit_cfg': {'type', 'default_args',
            'units'}, 'parse_cfg'}``.
        """
        units = self.mutable_units if only_mutable_units else self.units
        units_cfg = {
            u.name:
            u.config_template(
                with_init_args=with_unit_init_args or with_channels,
                with_channels=with_channels)
            for u in units
        }
        parse_cfg = dict(self.parse_cfg)
        if with_channels:
            parse_cfg = dict(type='Config')
        return dict(
            type=type(self).__name__,
            channel_unit_cfg=dict(
                type=self.unit_class.__name__,
                default_args=dict(self.unit_default_args),
                units=units_cfg),
            parse_cfg=parse_cfg)

    def dump_units_json(self, path: str, **kwargs) -> None:
        """Write :meth:`config_template` to ``path`` (atomically)."""
        from mmrazor.utils import atomic_open
        data = self.config_template(**kwargs)
        with atomic_open(path, 'w') as f:
            json.dump(data, f, indent=4)
