# Copyright (c) OpenMMLab. All rights reserved.
"""Export and load fixed subnets (the "subnet yaml" of NAS and pruning)."""
import copy
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from mmengine import fileio
from torch import nn

from mmrazor.utils.config_dict import as_config_dict
from mmrazor.utils.typing import DumpChosen, FixMutable, ValidFixMutable

_LOAD_MODES = ('mutable', 'mutator')


def _is_container(module: nn.Module) -> bool:
    """Whether ``module`` is a ``MutableChannelContainer`` (skipped)."""
    return any(cls.__name__ == 'MutableChannelContainer'
               for cls in type(module).__mro__)


def _dynamic_mixin_type() -> Optional[type]:
    try:
        from mmrazor.models.architectures.dynamic_ops import DynamicMixin
    except ImportError:  # pragma: no cover - pruning ops not available
        return None
    return DynamicMixin


def _dynamic_to_static(model: nn.Module) -> None:
    """Replace every dynamic op of ``model`` by its static equivalent."""
    dynamic_mixin = _dynamic_mixin_type()
    if dynamic_mixin is None:
        return
    if isinstance(model, dynamic_mixin):
        raise RuntimeError('Root model can not be dynamic op.')

    def traverse(module: nn.Module) -> None:
        for name, child in list(module.named_children()):
            if isinstance(child, dynamic_mixin):
                static = child.to_static_op()
                setattr(module, name, static)
                # a static container (e.g. of DynamicSequential) may still
                # hold dynamic ops
                if not isinstance(static, dynamic_mixin):
                    traverse(static)
            else:
                traverse(child)

    traverse(model)


def _chosen_of(value: Any, key: str) -> Any:
    if isinstance(value, DumpChosen):
        return value.chosen
    if isinstance(value, dict):
        if 'chosen' not in value:
            raise KeyError(f'The subnet entry {key!r} is a dict without a '
                           f'`chosen` key: {value!r}')
        return value['chosen']
    return value


def _load_subnet_dict(subnet_dict: ValidFixMutable) -> Dict[str, Any]:
    if isinstance(subnet_dict, (str, Path)):
        path = str(subnet_dict)
        if not Path(path).is_file():
            raise FileNotFoundError(f'Subnet file {path} does not exist')
        if path.endswith('.pkl'):
            from mmrazor.engine.runner.checkpoint import (
                TRUST_ENV, UnsafeCheckpointError, checkpoint_trusted)
            if not checkpoint_trusted():
                raise UnsafeCheckpointError(
                    f'Subnet file {path} is a pickle; unpickling can run '
                    'arbitrary code. Use the YAML or JSON subnet, or set '
                    f'{TRUST_ENV}=1 if you trust the file.')
        try:
            loaded = fileio.load(path)
        except (ValueError, TypeError) + _parse_errors() as e:
            raise ValueError(f'Subnet file {path} cannot be parsed '
                             f'({type(e).__name__}: {e}); expected a YAML '
                             'or JSON mapping of mutable names (or '
                             'aliases) to choices') from e
        if loaded is None:
            raise TypeError(f'Subnet file {path} is empty; expected a '
                            'mapping of mutable names (or aliases) to '
                            'choices')
        if not isinstance(loaded, dict):
            raise TypeError(f'Subnet file {path} must hold a mapping, got '
                            f'{type(loaded).__name__}')
        return loaded
    subnet_dict = as_config_dict(subnet_dict)
    if isinstance(subnet_dict, dict):
        return dict(subnet_dict)
    raise TypeError('fix_subnet must be a path (yaml/json/pkl) or a dict, '
                    f'got {type(subnet_dict).__name__}')


def _parse_errors() -> tuple:
    """The errors of the YAML and JSON parsers."""
    import json

    import yaml
    return (json.JSONDecodeError, yaml.YAMLError)


def _mutable_key(name: str, mutable: nn.Module, prefix: str,
                 extra_prefix: str) -> str:
    if mutable.alias:
        return mutable.alias
    if prefix:
        return name[len(prefix):] if name.startswith(prefix) else name
    if extra_prefix:
        return extra_prefix + name
    return name


def load_fix_subnet(model: nn.Module,
                    subnet_dict: ValidFixMutable,
                    load_subnet_mode: str = 'mutable',
                    prefix: str = '',
                    extra_prefix: str = '') -> None:
    """Fix ``model`` to the subnet described by ``subnet_dict``.

    In ``'mutable'`` mode every mutable of ``model`` is looked up by its
    alias, or else by its module path: with ``prefix`` the leading
    ``prefix`` is removed from the path (a prefix, not a character set),
    with ``extra_prefix`` it is prepended. Each entry is a ``DumpChosen``,
    a ``{'chosen': ...}`` dict or a bare value. A mutable without an entry,
    or an entry without a mutable, is an error listing the expected keys.
    In ``'mutator'`` mode the dict is a channel-mutator config with a
    ``channel_unit_cfg`` (pruning). Both modes then convert dynamic ops to
    static ops.

    Args:
        model (nn.Module): The supernet; it is modified in place.
        subnet_dict (str | Path | dict): The subnet or a yaml/json/pkl path.
        load_subnet_mode (str): ``'mutable'`` or ``'mutator'``.
        prefix (str): Prefix removed from the module paths.
        extra_prefix (str): Prefix added to the module paths.
    """
    if prefix and extra_prefix:
        raise ValueError('`prefix` and `extra_prefix` can not be set at the '
                         'same time, choose one of them.')
    if load_subnet_mode not in _LOAD_MODES:
        raise ValueError(f'load_subnet_mode must be one of {_LOAD_MODES}, '
                         f'got {load_subnet_mode!r}')
    fix_mutable = _load_subnet_dict(subnet_dict)
    if load_subnet_mode == 'mutable':
        _load_fix_subnet_by_mutable(model, fix_mutable, prefix, extra_prefix)
    else:
        _load_fix_subnet_by_mutator(model, fix_mutable)
    _dynamic_to_static(model)


def _dropped_prefixes(route_name: str, route: nn.Module, chosen: Any) -> list:
    """Module paths of the edges that a route (``DiffChoiceRoute``) drops
    when it is fixed to ``chosen``; mutables inside are not part of the
    subnet."""
    paths = route.unchosen_edge_paths(chosen)
    return [f'{route_name}.{p}' if route_name else p for p in paths]


def _is_dropped(name: str, dropped: list) -> bool:
    return any(name == d or name.startswith(d + '.') for d in dropped)


def _load_fix_subnet_by_mutable(model: nn.Module, fix_mutable: FixMutable,
                                prefix: str, extra_prefix: str) -> None:
    from mmrazor.models.mutables import BaseMutable, DerivedMutable

    todo = []
    for name, module in model.named_modules():
        if not isinstance(module, BaseMutable) or \
                isinstance(module, DerivedMutable) or _is_container(module):
            continue
        todo.append((_mutable_key(name, module, prefix,
                                  extra_prefix), module, name))
    all_keys = set(key for key, _, _ in todo)
    # files written by MMRazor 1.x may also name derived mutables (e.g.
    # AutoFormer's `middle_channels`); they follow their sources, so such
    # entries are accepted and not applied
    all_keys.update(
        _mutable_key(name, module, prefix, extra_prefix)
        for name, module in model.named_modules(remove_duplicate=False)
        if isinstance(module, DerivedMutable))
    # routes drop the mutables of their unchosen edges (DARTS subnets list
    # only the chosen edges)
    dropped: list = []
    for key, module, name in todo:
        if hasattr(module, 'unchosen_edge_paths') and key in fix_mutable \
                and not module.is_fixed:
            dropped.extend(
                _dropped_prefixes(name, module,
                                  _chosen_of(fix_mutable[key], key)))
    todo = [(key, m) for key, m, name in todo
            if not _is_dropped(name, dropped)]
    expected = list(dict.fromkeys(key for key, _ in todo))
    missing = [key for key in expected if key not in fix_mutable]
    unknown = [key for key in fix_mutable if key not in all_keys]
    if unknown:
        unknown = _drop_legacy_keys(model, unknown, fix_mutable)
    if missing or unknown:
        raise KeyError(
            f'The subnet does not match the model {type(model).__name__}: '
            f'missing keys {missing}, unknown keys {unknown}. Expected '
            f'keys (aliases or module paths, prefix={prefix!r}, '
            f'extra_prefix={extra_prefix!r}): {expected}')
    for key, mutable in todo:
        chosen = _chosen_of(fix_mutable[key], key)
        if not mutable.is_fixed:
            try:
                mutable.fix_chosen(chosen)
            except (KeyError, ValueError, TypeError, AssertionError) as e:
                reason = e.args[0] if e.args else e
                raise type(e)(f'subnet key {key!r} ({type(mutable).__name__}'
                              f'): {reason}') from e


def _drop_legacy_keys(model: nn.Module, unknown: list,
                      fix_mutable: FixMutable) -> list:
    """Unknown keys that no module of ``model`` accepts as legacy keys.

    A module may define ``accept_legacy_subnet_keys(keys, fix_mutable)``
    returning the keys of published subnet files it knows to be without
    effect (it logs them).
    """
    for module in model.modules():
        accept = getattr(module, 'accept_legacy_subnet_keys', None)
        if callable(accept) and unknown:
            accepted = set(accept(list(unknown), fix_mutable))
            unknown = [key for key in unknown if key not in accepted]
    return unknown


def _load_fix_subnet_by_mutator(model: nn.Module, mutator_cfg: Dict) -> None:
    from mmrazor.registry import MODELS
    if 'channel_unit_cfg' not in mutator_cfg:
        raise ValueError(
            'A subnet loaded in `mutator` mode must be a channel mutator '
            'config with a `channel_unit_cfg` key; got keys '
            f'{sorted(mutator_cfg)}')
    cfg = copy.deepcopy(mutator_cfg)
    parse_cfg = dict(cfg.get('parse_cfg') or dict(type='Config'))
    units = (cfg['channel_unit_cfg'] or {}).get('units', {})
    if not isinstance(units, dict) or all('channels' in u
                                          for u in units.values()):
        parse_cfg['from_cfg'] = True
    # else: the units are found by the parse_cfg analysis and their
    # choices applied by name (structure files without channels)
    cfg['parse_cfg'] = parse_cfg
    cfg.setdefault('_scope_', 'mmrazor')  # mutator types are mmrazor's
    mutator = MODELS.build(cfg)
    mutator.prepare_from_supernet(model)
    mutator.set_choices(mutator.current_choices)


def export_fix_subnet(
        model: nn.Module,
        export_subnet_mode: str = 'mutable',
        slice_weight: bool = False,
        export_channel: bool = False
) -> Tuple[FixMutable, Optional[nn.Module]]:
    """Export the current subnet of ``model``.

    Args:
        model (nn.Module): The model to export. In ``'mutable'`` mode the
            keys are the aliases or the module paths relative to ``model``.
        export_subnet_mode (str): ``'mutable'`` (``{key: DumpChosen}`` from
            every mutable; for derived mutables their sources) or
            ``'mutator'`` (``model.mutator.config_template(...)``).
        slice_weight (bool): Also return a static deep copy of ``model``
            fixed to the subnet. Defaults to False.
        export_channel (bool): In ``'mutator'`` mode, include the channels
            of each unit. Defaults to False.

    Returns:
        tuple: ``(fix_subnet, static_model or None)``.
    """
    if export_subnet_mode not in _LOAD_MODES:
        raise ValueError(f'export_subnet_mode must be one of {_LOAD_MODES},'
                         f' got {export_subnet_mode!r}')
    if export_subnet_mode == 'mutable':
        fix_subnet = _export_subnet_by_mutable(model)
    else:
        mutator = getattr(model, 'mutator', None)
        if mutator is None or not hasattr(mutator, 'config_template'):
            raise AttributeError(
                '`mutator` mode needs a model with a channel `mutator` that '
                f'has `config_template`; {type(model).__name__} has none')
        fix_subnet = mutator.config_template(
            with_channels=export_channel, with_unit_init_args=True)

    if not slice_weight:
        return fix_subnet, None

    copied = copy.deepcopy(model)
    if export_subnet_mode == 'mutator' or _has_channel_mutator(copied):
        mutator = getattr(copied, 'mutator', None)
        if mutator is not None and hasattr(mutator, 'fix_channel_mutables'):
            mutator.fix_channel_mutables()
        _dynamic_to_static(copied)
    else:
        load_fix_subnet(copied, fix_subnet)
    return fix_subnet, copied


def _has_channel_mutator(model: nn.Module) -> bool:
    mutator = getattr(model, 'mutator', None)
    return mutator is not None and any(cls.__name__ == 'ChannelMutator'
                                       for cls in type(mutator).__mro__)


def _export_subnet_by_mutable(model: nn.Module) -> FixMutable:
    from mmrazor.models.mutables import BaseMutable, DerivedMutable

    id2name = {id(m): name for name, m in model.named_modules()}
    dropped: list = []
    fix_subnet: FixMutable = dict()
    for name, module in model.named_modules():
        if not isinstance(module, BaseMutable) or _is_container(module):
            continue
        if _is_dropped(name, dropped):
            continue
        if isinstance(module, DerivedMutable):
            for source in module.source_mutables:
                key = source.alias or id2name.get(id(source))
                if key is not None and key not in fix_subnet and \
                        not _is_container(source):
                    fix_subnet[key] = source.dump_chosen()
            continue
        key = module.alias or name
        dumped = module.dump_chosen()
        if hasattr(module, 'unchosen_edge_paths'):
            dropped.extend(_dropped_prefixes(name, module, dumped.chosen))
        if key not in fix_subnet:
            fix_subnet[key] = dumped
    return fix_subnet


def convert_fix_subnet(fix_subnet: Dict[str, Any]) -> Dict[str, Dict]:
    """Convert the fixed subnet to plain ``{key: {'chosen': value}}`` dicts
    (meta dropped), the on-disk YAML format.

    Args:
        fix_subnet (dict): ``{key: DumpChosen or dict or value}``.

    Returns:
        dict: ``{key: {'chosen': value}}`` with python builtin values.
    """
    converted = dict()
    for key, value in fix_subnet.items():
        chosen = _chosen_of(value, key)
        converted[key] = dict(chosen=_to_builtin(chosen))
    return converted


def _to_builtin(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_to_builtin(v) for v in value]
    if hasattr(value, 'item') and callable(value.item):
        try:
            return value.item()
        except (ValueError, RuntimeError):
            return value.tolist()
    return value


def dump_fix_subnet(fix_subnet: Dict[str, Any], path: Union[str,
                                                            Path]) -> None:
    """Write ``convert_fix_subnet(fix_subnet)`` to ``path`` atomically
    (yaml or json by suffix).

    Args:
        fix_subnet (dict): The subnet.
        path (str | Path): Output file.
    """
    import os

    from mmrazor.utils import atomic_write
    path = str(path)
    suffix = os.path.splitext(path)[1] or '.yaml'
    data = convert_fix_subnet(fix_subnet)
    atomic_write(
        path,
        lambda tmp: fileio.dump(data, tmp, file_format=suffix.lstrip('.')))
