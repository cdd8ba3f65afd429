# Copyright (c) OpenMMLab. All rights reserved.
"""FLOPs/params counters of the dynamic ops (count the active channels).

They are registered in ``TASK_UTILS`` as ``f'{DynamicOp}Counter'`` so that
``ResourceEstimator`` counts pruned (masked) models correctly.
"""
import warnings
from typing import Any

import numpy as np
from torch import nn

from mmrazor.registry import TASK_UTILS


def _register(name: str):

    def deco(cls):
        if name not in TASK_UTILS.module_dict:
            TASK_UTILS.register_module(name=name, module=cls)
        return cls

    return deco


class _DynamicCounterBase:

    @staticmethod
    def count_params(module: nn.Module) -> int:
        return sum(p.numel() for p in module.parameters())


class DynamicConvCounter(_DynamicCounterBase):
    """Conv FLOPs from the sliced weight: ``numel(w) * positions``."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        weight, bias, _ = module.get_dynamic_params()
        batch = input[0].shape[0]
        positions = batch * int(np.prod(output.shape[2:]))
        flops = weight.numel() * positions
        params = weight.numel()
        if bias is not None:
            flops += bias.numel() * positions
            params += bias.numel()
        module.__flops__ += int(flops)
        module.__params__ = int(params)


class DynamicLinearCounter(_DynamicCounterBase):
    """Linear FLOPs from the sliced weight."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        weight, bias = module.get_dynamic_params()
        rows = int(np.prod(output.shape[:-1]))
        flops = weight.numel() * rows
        params = weight.numel()
        if bias is not None:
            flops += bias.numel() * rows
            params += bias.numel()
        module.__flops__ += int(flops)
        module.__params__ = int(params)


class DynamicNormCounter(_DynamicCounterBase):
    """Norm FLOPs: one (two when affine) per output element."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        flops = output.numel()
        params = 0
        weight = getattr(module, 'weight', None)
        if weight is not None:
            flops *= 2
            mask = None
            attr = 'num_channels' if isinstance(module, nn.GroupNorm) \
                else 'num_features'
            if hasattr(module, 'get_mask'):
                try:
                    mask = module.get_mask(attr, weight.numel())
                except (AttributeError, KeyError, ValueError, TypeError,
                        RuntimeError) as e:
                    warnings.warn(
                        f'{__name__}: cannot read the {attr} mask of '
                        f'{type(module).__name__} ({type(e).__name__}: '
                        f'{e}); its parameters are counted unpruned '
                        f'({weight.numel()} channels)')
                    mask = None
            n = int(mask.sum()) if mask is not None else weight.numel()
            params = 2 * n
        module.__flops__ += int(flops)
        module.__params__ = int(params)


for _name in ('DynamicConv2dCounter', 'DynamicConv2dAdaptivePaddingCounter'):
    globals()[_name] = _register(_name)(
        type(_name, (DynamicConvCounter, ), {'__module__': __name__}))
DynamicLinearCounter = _register('DynamicLinearCounter')(
    type('DynamicLinearCounter', (DynamicLinearCounter, ),
         {'__module__': __name__}))
for _name in ('DynamicBatchNorm1dCounter', 'DynamicBatchNorm2dCounter',
              'DynamicBatchNorm3dCounter', 'DynamicBatchNormXdCounter',
              'DynamicSyncBatchNormCounter', 'DynamicLayerNormCounter',
              'DynamicLayerNorm2dCounter', 'DynamicGroupNormCounter',
              'DMCPBatchNorm2dCounter', 'SwitchableBatchNorm2dCounter'):
    globals()[_name] = _register(_name)(
        type(_name, (DynamicNormCounter, ), {'__module__': __name__}))
for _name in ('BigNasConv2dCounter', 'OFAConv2dCounter', 'FuseConv2dCounter'):
    globals()[_name] = _register(_name)(
        type(_name, (DynamicConvCounter, ), {'__module__': __name__}))


@_register('DynamicConvTranspose2dCounter')
class DynamicConvTranspose2dCounter(_DynamicCounterBase):
    """Transposed-conv FLOPs from the sliced weight, per input position:
    ``numel(w) * positions_in`` (+ the bias per output element)."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        weight, bias = module.get_dynamic_params()
        positions = input[0].shape[0] * int(np.prod(input[0].shape[2:]))
        flops = weight.numel() * positions
        params = weight.numel()
        if bias is not None:
            flops += bias.numel() * output.shape[0] * int(
                np.prod(output.shape[2:]))
            params += bias.numel()
        module.__flops__ += int(flops)
        module.__params__ = int(params)


class InputResizerCounter(_DynamicCounterBase):
    """Resizer FLOPs: one per output element when it resizes, else 0."""

    @staticmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        if tuple(input[0].shape) != tuple(output.shape):
            module.__flops__ += int(output.numel())
        module.__params__ = 0


_register('InputResizerCounter')(InputResizerCounter)
DynamicInputResizerCounter = _register('DynamicInputResizerCounter')(
    type('DynamicInputResizerCounter', (InputResizerCounter, ),
         {'__module__': __name__}))
