# Copyright (c) OpenMMLab. All rights reserved.
"""Widen the channels of static models."""
import math
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Union

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .ops import ExpandableBatchNorm2d, ExpandableConv2d, ExpandLinear
from .unit import ExpandableUnit

DemoInput = Union[Sequence[int], Dict, None]


def to_expandable_model(model: nn.Module,
                        demo_input: DemoInput = None) -> List[ExpandableUnit]:
    """The channel units of a static ``model`` as :class:`ExpandableUnit`.

    The model is analysed (FX tracer) and not modified.

    Args:
        model (nn.Module): A static model.
        demo_input (tuple | dict, optional): Demo input shape or config of
            the analysis. Defaults to ``(1, 3, 224, 224)``.

    Returns:
        list[ExpandableUnit]: The prunable (hence widenable) units.
    """
    from mmrazor.registry import TASK_UTILS
    cfg = dict(
        _scope_='mmrazor',
        type='ChannelAnalyzer',
        tracer_type='FxTracer',
        demo_input=demo_input if demo_input is not None else (1, 3, 224, 224))
    analyzer = TASK_UTILS.build(cfg)
    found = analyzer.analyze(model)
    units = []
    for unit_cfg in found.values():
        units.append(
            ExpandableUnit.init_from_cfg(
                model,
                dict(
                    init_args=dict(
                        num_channels=unit_cfg['init_args']['num_channels']),
                    channels=unit_cfg['channels'])))
    return units


def _set_module(model: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, attr = name.rpartition('.')
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attr, new)


def expand_static_model(model: nn.Module,
                        units: List[ExpandableUnit],
                        zero_weight: bool = True) -> nn.Module:
    """Build the widened ops of ``units`` (see :meth:`ExpandableUnit.
    expand`) in ``model``, in place.

    Args:
        model (nn.Module): The static model the units were found in.
        units (list[ExpandableUnit]): Units with recorded expansions.
        zero_weight (bool): New weights are zero (the widened model
            computes the same outputs). Defaults to True.

    Returns:
        nn.Module: ``model``.

    Raises:
        NotImplementedError: A unit holds an op that can not be widened
            (the error names the unit and the op).
    """
    plan: Dict[str,
               Dict[str,
                    set]] = defaultdict(lambda: dict(ins=set(), outs=set()))
    owner: Dict[str, str] = {}
    for unit in units:
        if unit.expand_num == 0:
            continue
        for channel in unit.input_related + unit.output_related:
            count = unit.expand_num * channel.expand_ratio
            side = 'outs' if channel.is_output_channel else 'ins'
            plan[channel.name][side].add((channel.index[1], count))
            owner.setdefault(channel.name, unit.name)
    modules = dict(model.named_modules())
    for name, sides in plan.items():
        module = modules[name]
        ins, outs = sorted(sides['ins']), sorted(sides['outs'])
        try:
            if isinstance(module, nn.Conv2d):
                new = ExpandableConv2d.expand_from(module, ins, outs,
                                                   zero_weight)
            elif isinstance(module, nn.Linear):
                new = ExpandLinear.expand_from(module, ins, outs, zero_weight)
            elif isinstance(module, _BatchNorm):
                new = ExpandableBatchNorm2d.expand_from(
                    module, sorted(set(ins) | set(outs)), zero_weight)
            elif not list(module.parameters(recurse=False)) and \
                    not list(module.buffers(recurse=False)):
                continue  # parameter-free (activation, pooling, ...)
            else:
                raise NotImplementedError(
                    f'{type(module).__name__} can not be widened')
        except (NotImplementedError, ValueError) as e:
            raise type(e)(f'unit {owner[name]}: module {name}: {e}') from e
        _set_module(model, name, new)
    return model


def make_channel_divisible(
        model: nn.Module,
        divisor: int,
        zero_weight: bool = True,
        demo_input: DemoInput = None,
        max_channels: Optional[Dict[str, int]] = None) -> Dict[str, int]:
    """Widen every channel unit of a static ``model`` to the next multiple
    of ``divisor``, in place.

    With ``zero_weight`` the added channels have zero weights, so the
    model's outputs do not change (deployment backends run faster on
    channel numbers that are multiples of 8 or 16).

    Args:
        model (nn.Module): A static model.
        divisor (int): The channel divisor (a positive int).
        zero_weight (bool): Zero weights for the new channels. Defaults to
            True.
        demo_input (tuple | dict, optional): Demo input of the analysis.
        max_channels (dict, optional): ``{unit_name: n}`` upper bounds;
            a unit that would need more channels is an error.

    Returns:
        dict: ``{unit_name: channels after widening}`` (unit names of the
        model before widening).

    Raises:
        ValueError: ``divisor`` is not a positive int, or a unit would
            exceed its ``max_channels``.
    """
    if isinstance(divisor, bool) or not isinstance(divisor, int) or \
            divisor <= 0:
        raise ValueError(f'divisor must be a positive int, got {divisor!r}')
    units = to_expandable_model(model, demo_input)
    structure = {}
    for unit in units:
        target = int(math.ceil(unit.num_channels / divisor) * divisor)
        if max_channels and unit.name in max_channels and \
                target > max_channels[unit.name]:
            raise ValueError(
                f'unit {unit.name}: {unit.num_channels} channels can not be '
                f'made divisible by {divisor} without exceeding its '
                f'{max_channels[unit.name]} channels (needs {target})')
        unit.expand_to(target)
        structure[unit.name] = target
    expand_static_model(model, units, zero_weight)
    return structure
