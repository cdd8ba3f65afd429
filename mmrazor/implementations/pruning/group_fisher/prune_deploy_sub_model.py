# Copyright (c) OpenMMLab. All rights reserved.
"""The static pruned model for deployment, from a structure file."""
import copy
import functools
from typing import Any, Dict, Union

import torch
from mmengine import fileio
from torch import nn

from mmrazor.registry import MODELS


def _load_structure(fix_subnet: Union[str, Dict]) -> Dict:
    if isinstance(fix_subnet, str):
        loaded = fileio.load(fix_subnet)
    elif isinstance(fix_subnet, dict):
        loaded = dict(fix_subnet)
    else:
        raise TypeError('GroupFisherDeploySubModel: fix_subnet must be a '
                        '{unit_name: choice} dict or a json path, got '
                        f'{type(fix_subnet).__name__}')
    if isinstance(loaded, dict) and 'channel_unit_cfg' in loaded:
        units = loaded['channel_unit_cfg'].get('units', {})
        loaded = {k: v['choice'] for k, v in units.items() if 'choice' in v}
    if not isinstance(loaded, dict):
        raise TypeError(f'GroupFisherDeploySubModel: {fix_subnet} must hold '
                        '{unit_name: choice}')
    return loaded


def _check_widths(mutator, structure: Dict, divisor: int) -> None:
    units = {u.name: u for u in mutator.units}
    unknown = [k for k in structure if k not in units]
    if unknown:
        raise KeyError(
            f'fix_subnet has units {unknown[:5]} that the model does not '
            f'have ({len(unknown)} unknown of {len(structure)}; it may be '
            f'written for another model). The model has {len(units)} '
            f'units, e.g. {list(units)[:3]}')
    for name, choice in structure.items():
        n = units[name].num_channels
        if isinstance(choice, bool) or not isinstance(choice, (int, float)):
            raise TypeError(f'fix_subnet: unit {name}: choice must be a '
                            f'channel number or a ratio, got {choice!r}')
        if isinstance(choice, float):
            if not 0 < choice <= 1:
                raise ValueError(f'fix_subnet: unit {name}: ratio {choice} '
                                 'not in (0, 1]')
            kept = max(1, int(round(n * choice, 6)))
        else:
            kept = choice
            if not 0 < kept <= n:
                raise ValueError(
                    f'fix_subnet: unit {name} keeps {kept} channels, but '
                    f'the layer has {n} (expected 1..{n})')
        if divisor > 1 and -(-kept // divisor) * divisor > n:
            raise ValueError(
                f'fix_subnet: unit {name} keeps {kept} of {n} channels; '
                f'divisor {divisor} needs {-(-kept // divisor) * divisor} '
                f'> {n}: choose a divisor of {n} or prune the unit further')


def _widen_for_narrow_checkpoints(model: nn.Module, divisor: int,
                                  demo_input: Any) -> Dict[str, int]:
    """Widen the static ``model`` to multiples of ``divisor`` (zero weights
    for the new channels) and let it load the checkpoints of the narrow
    model: a narrow tensor is placed at the positions it had before the
    widening, the new channels keep their zero (BN variance: one) values.
    Tensors of any other shape load (or fail) as usual.

    Returns:
        dict: ``{unit_name: channels}`` after widening.
    """
    from mmrazor.models.utils.expandable_utils import (expand_static_model,
                                                       to_expandable_model)
    units = to_expandable_model(model, demo_input)
    structure = {}
    for unit in units:  # as make_channel_divisible does
        structure[unit.name] = -(-unit.num_channels // divisor) * divisor
        unit.expand_to(structure[unit.name])
    narrow = {
        k: v.detach().clone()
        for k, v in model.state_dict().items() if v.is_floating_point()
    }
    with torch.no_grad():  # mark the narrow entries to find them again
        for v in model.state_dict().values():
            if v.is_floating_point():
                v.fill_(float('nan'))
    expand_static_model(model, units, zero_weight=True)
    layout = {}
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if k not in narrow:
                continue
            kept = torch.isnan(v)
            v[kept] = narrow[k].reshape(-1).to(v.dtype)
            if v.shape != narrow[k].shape:
                layout[k] = (tuple(narrow[k].shape), kept, v[~kept].clone())

    def pad_narrow(module, state_dict, prefix, *args) -> None:
        for name, (shape, kept, new_values) in layout.items():
            key = prefix + name
            value = state_dict.get(key)
            if isinstance(value, torch.Tensor) and \
                    tuple(value.shape) == shape:
                wide = value.new_empty(kept.shape)
                wide[kept.to(value.device)] = value.reshape(-1)
                wide[~kept.to(value.device)] = new_values.to(value)
                state_dict[key] = wide

    model.register_load_state_dict_pre_hook(pad_narrow)
    return structure


@MODELS.register_module()
def GroupFisherDeploySubModel(architecture: Union[Dict, nn.Module],
                              fix_subnet: Union[str, Dict],
                              divisor: int = 1,
                              parse_cfg: Dict = dict(
                                  _scope_='mmrazor',
                                  type='ChannelAnalyzer',
                                  demo_input=(1, 3, 224, 224),
                                  tracer_type='FxTracer'),
                              **kwargs) -> nn.Module:
    """The static pruned architecture described by ``fix_subnet``.

    The units of ``architecture`` are found by ``parse_cfg``; each keeps
    its first ``fix_subnet[unit]`` channels (the layout of the finetuned
    static model's checkpoint, which is then loaded into the result).
    With ``divisor`` > 1 every unit is then widened to a multiple of
    ``divisor`` with zero weights, so the model is divisible on every path
    (``tools/test.py``, FLOPs counting, ONNX export); the checkpoint of
    the narrow finetuned model still loads into it (its tensors are placed
    at their channels, the added channels stay zero), and
    ``post_process_for_mmdeploy()`` (called by deployment tools after
    loading the weights) returns ``{unit_name: channels}`` and changes
    nothing.

    Args:
        architecture (dict | nn.Module): The unpruned model (config).
        fix_subnet (dict | str): ``{unit_name: channels or ratio}`` or a
            json path (e.g. the ``fix_subnet.json`` of a finetune run).
        divisor (int): Channel divisor. Defaults to 1.
        parse_cfg (dict): The channel analysis config.
        **kwargs: ``data_preprocessor`` (from the runner) is given to the
            architecture config when it has none; others are ignored.

    Returns:
        nn.Module: The static pruned model.
    """
    from mmrazor.models.mutators import ChannelMutator
    from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static
    if isinstance(divisor, bool) or not isinstance(divisor, int) or \
            divisor <= 0:
        raise ValueError('GroupFisherDeploySubModel: divisor must be a '
                         f'positive int, got {divisor!r}')
    structure = _load_structure(fix_subnet)
    if isinstance(architecture, dict):
        architecture = copy.deepcopy(architecture)
        if kwargs.get('data_preprocessor') is not None:
            architecture.setdefault('data_preprocessor',
                                    kwargs['data_preprocessor'])
        model = MODELS.build(architecture)
    else:
        model = architecture
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='SequentialMutableChannelUnit',
            default_args=dict(choice_mode='number')),
        parse_cfg=dict(parse_cfg))
    mutator.prepare_from_supernet(model)
    _check_widths(mutator, structure, divisor)
    mutator.set_choices(structure)
    mutator.fix_channel_mutables()
    _dynamic_to_static(model)
    if divisor != 1:
        structure = _widen_for_narrow_checkpoints(model, divisor,
                                                  parse_cfg.get('demo_input'))
        # already divisible: what deployment tools call after loading the
        # weights returns the structure and changes nothing
        model.post_process_for_mmdeploy = functools.partial(dict, structure)
    return model
