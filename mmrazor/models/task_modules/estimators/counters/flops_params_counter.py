# Copyright (c) OpenMMLab. All rights reserved.
"""ptflops-style FLOPs and parameter counting with forward hooks."""
import sys
import warnings
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from mmrazor.registry import TASK_UTILS

# The base classes a module may fall back to (first one in its MRO wins).
_FALLBACK_BASES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d,
                   nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
                   nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
                   nn.LayerNorm, nn.GroupNorm, nn.MaxPool1d, nn.MaxPool2d,
                   nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
                   nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
                   nn.AdaptiveMaxPool3d, nn.AdaptiveAvgPool1d,
                   nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.ReLU,
                   nn.PReLU, nn.ELU, nn.LeakyReLU, nn.ReLU6, nn.Upsample)

_UNIT_SCALE = {'T': 1e12, 'G': 1e9, 'M': 1e6, 'K': 1e3, None: 1.0}


def _counter_name(cls: type) -> str:
    return f'{cls.__name__}Counter'


def get_counter_type(module: nn.Module) -> Optional[type]:
    """Find the counter class of ``module``.

    The counter registered as ``f'{type(module).__name__}Counter'`` in
    ``TASK_UTILS`` wins; otherwise the counter of the first supported base
    class in the module's MRO is used (with a warning).

    Args:
        module (nn.Module): The module.

    Returns:
        type | None: The counter class, None when the module is not counted.
    """
    cls = type(module)
    counter = TASK_UTILS.get(_counter_name(cls))
    if counter is not None:
        return counter
    for base in cls.__mro__[1:]:
        if base in _FALLBACK_BASES:
            counter = TASK_UTILS.get(_counter_name(base))
            if counter is not None:
                warnings.warn(f'{cls.__name__} has no registered counter '
                              f'({_counter_name(cls)}); counting it as '
                              f'{base.__name__}.')
                return counter
    return None


def _hook_counter(counter: type, module: nn.Module, input: Any,
                  output: Any) -> None:
    counter.add_count_hook(module, input, output)


def _batch_counter_hook(model: nn.Module, input: Any, output: Any) -> None:
    batch_size = 1
    if len(input) > 0 and isinstance(input[0], torch.Tensor):
        batch_size = len(input[0])
    model.__batch_counter__ += batch_size


def _start(model: nn.Module, disabled_counters: List[str]) -> List:
    handles = [model.register_forward_hook(_batch_counter_hook)]
    model.__batch_counter__ = 0
    for module in model.modules():
        module.__flops__ = 0
        module.__params__ = 0
        counter = get_counter_type(module)
        if counter is None or counter.__name__ in disabled_counters:
            continue
        handles.append(
            module.register_forward_hook(partial(_hook_counter, counter)))
    return handles


def _stop(model: nn.Module, handles: List) -> None:
    for handle in handles:
        handle.remove()
    for module in model.modules():
        for attr in ('__flops__', '__params__', '__batch_counter__'):
            if attr in module.__dict__:
                delattr(module, attr)


def _accumulate(module: nn.Module) -> Tuple[float, float]:
    flops = sum(m.__flops__ for m in module.modules())
    params = sum(m.__params__ for m in module.modules())
    return flops, params


def _format(value: float,
            unit: Optional[str],
            suffix: str,
            as_strings: bool,
            precision: int = 3) -> Union[float, str]:
    if unit not in _UNIT_SCALE:
        raise ValueError(f'Unknown unit {unit!r}, expected one of '
                         f'{list(_UNIT_SCALE)}')
    scaled = round(value / _UNIT_SCALE[unit], precision)
    if as_strings:
        return f'{scaled} {unit or ""}{suffix}'
    return scaled


def get_model_flops_params(model: nn.Module,
                           input_shape: Tuple = (1, 3, 224, 224),
                           spec_modules: List[str] = [],
                           disabled_counters: List[str] = [],
                           print_per_layer_stat: bool = False,
                           units: Dict = dict(flops='M', params='M'),
                           as_strings: bool = False,
                           seperate_return: bool = False,
                           input_constructor: Optional[Callable] = None,
                           flush: bool = False,
                           ost: Any = sys.stdout) -> Any:
    """Get the FLOPs (multiply-accumulates) and params of a model.

    The model runs one forward (eval mode, no grad) on
    ``torch.ones(input_shape)`` or on ``input_constructor(input_shape)``
    (a dict of keyword arguments). Only the modules that actually run are
    counted, so a supernet with a sampled path reports that path.

    Args:
        model (nn.Module): The model.
        input_shape (tuple): Input shape including the batch dim.
        spec_modules (list[str]): Names of modules to report separately.
        disabled_counters (list[str]): Counter class names to skip.
        print_per_layer_stat (bool): Print the per-module statistics.
        units (dict): Units of ``flops`` and ``params`` ('G', 'M', 'K' or
            None). Defaults to ``dict(flops='M', params='M')``.
        as_strings (bool): Return formatted strings. Defaults to False.
        seperate_return (bool): Return ``{module_name: {'flops', 'params'}}``
            for ``spec_modules`` instead of the totals.
        input_constructor (callable, optional): Builds the forward inputs.
        flush (bool): Flush ``ost`` after printing.
        ost (stream): Output stream of the per-layer statistics.

    Returns:
        tuple | dict: ``(flops, params)`` or the per-module dict.
    """
    if len(input_shape) < 1:
        raise ValueError(f'input_shape must not be empty, got {input_shape}')
    units = dict(units or {})
    flops_unit, params_unit = units.get('flops'), units.get('params')
    named = dict(model.named_modules())
    for name in spec_modules:
        if name not in named:
            raise KeyError(f'spec module {name!r} is not a module of '
                           f'{type(model).__name__}')
    training = model.training
    model.eval()
    handles = _start(model, list(disabled_counters))
    try:
        with torch.no_grad():
            if input_constructor is not None:
                batch = input_constructor(input_shape)
                if isinstance(batch, dict):
                    model(**batch)
                else:
                    model(batch)
            else:
                try:
                    param = next(model.parameters())
                    device, dtype = param.device, param.dtype
                except StopIteration:
                    device, dtype = torch.device('cpu'), torch.float32
                model(torch.ones(input_shape, dtype=dtype, device=device))
        batches = max(model.__batch_counter__, 1)
        total_flops, total_params = _accumulate(model)
        total_flops /= batches
        if print_per_layer_stat:
            _print_stat(model, total_flops, batches, flops_unit, params_unit,
                        ost)
            if flush:
                ost.flush()
        if seperate_return or spec_modules:
            results = dict()
            for name in spec_modules:
                flops, params = _accumulate(named[name])
                results[name] = dict(
                    flops=_format(flops / batches, flops_unit, 'FLOPs',
                                  as_strings),
                    params=_format(params, params_unit, '', as_strings))
            if seperate_return:
                return results
    finally:
        _stop(model, handles)
        model.train(training)
    return (_format(total_flops, flops_unit, 'FLOPs', as_strings),
            _format(total_params, params_unit, '', as_strings))


def _print_stat(model: nn.Module, total_flops: float, batches: int,
                flops_unit: Optional[str], params_unit: Optional[str],
                ost: Any) -> None:
    for name, module in model.named_modules():
        flops, params = _accumulate(module)
        if flops == 0 and params == 0:
            continue
        flops /= batches
        share = 100.0 * flops / total_flops if total_flops else 0.0
        print(
            f'{name or type(model).__name__}: '
            f'{_format(params, params_unit, "", True)} params, '
            f'{_format(flops, flops_unit, "FLOPs", True)} '
            f'({share:.2f}%)',
            file=ost)


def params_units_convert(num_params: float, units: Optional[str]) -> float:
    """Convert a number of params to ``units`` ('G', 'M', 'K' or None)."""
    return _format(num_params, units, '', False)


def flops_units_convert(flops: float, units: Optional[str]) -> float:
    """Convert a number of FLOPs to ``units`` ('G', 'M', 'K' or None)."""
    return _format(flops, units, 'FLOPs', False)
