# Copyright (c) OpenMMLab. All rights reserved.
"""The single adapter between MMRazor and ``torch.ao.quantization``.

Every ``torch.ao.quantization`` / ``torch.ao.nn`` import of the package
lives here; the rest of MMRazor imports from this module. This keeps the
surface that can break when PyTorch moves its (partly private) FX
quantization helpers in one place, with a test
(``tests/test_structures/test_quantization/test_torch_ao.py``) pinning what
we rely on.

What is used, by preference:

* public API: ``QConfig``, ``QConfigMapping``, the observer and fake-quant
  classes, ``BackendConfig``/``BackendPatternConfig``/``DTypeConfig``,
  ``get_native_backend_config``, ``torch.ao.quantization.fx.fuse`` and
  ``torch.ao.quantization.fx.prepare`` (exported by the ``fx`` package),
  ``QuantizationTracer``, the QAT module classes;
* nothing private: the small private helpers that ``prepare_qat_fx`` uses
  (``_swap_ff_with_fxff``, ``_attach_meta_to_node_if_not_exist``) are
  re-implemented below.

torch 2.x marks ``torch.ao.quantization`` deprecated and emits a
``DeprecationWarning`` from several entry points, plus a ``UserWarning``
about ``reduce_range`` from the observers. Those are MMRazor's business,
not the user's: every call into torch.ao made through this module runs
under :func:`quiet_ao`, which silences exactly these messages.
"""
import contextlib
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple

import torch.nn as nn
from torch.fx import GraphModule

from mmrazor.utils.config_dict import as_config_dict

# Messages emitted by torch.ao that we handle on the user's behalf.
_QUIET_MESSAGES = (
    r'torch\.ao\.quantization is deprecated',
    r'Please use quant_min and quant_max to specify the range',
    r'.*reduce_range will be deprecated',
    r'Passing a .*_config_dict to .* is deprecated',
)


@contextlib.contextmanager
def quiet_ao() -> Iterator[None]:
    """Silence torch.ao's deprecation chatter inside the block."""
    with warnings.catch_warnings():
        for msg in _QUIET_MESSAGES:
            warnings.filterwarnings('ignore', message=msg)
        yield


with quiet_ao():
    import torch.ao.nn.intrinsic as nni
    import torch.ao.nn.intrinsic.qat as nniqat
    import torch.ao.nn.qat as nnqat
    import torch.ao.quantization.fake_quantize as fake_quantize_module
    import torch.ao.quantization.observer as observer_module
    from torch.ao.nn.quantized import FloatFunctional, FXFloatFunctional
    from torch.ao.quantization import (
        FakeQuantize, FakeQuantizeBase, FixedQParamsFakeQuantize,
        FusedMovingAvgObsFakeQuantize, MinMaxObserver,
        MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver,
        ObserverBase, PerChannelMinMaxObserver, QConfig, QConfigMapping,
        disable_fake_quant, disable_observer, enable_fake_quant,
        enable_observer)
    from torch.ao.quantization.backend_config import (
        BackendConfig, BackendPatternConfig, DTypeConfig, ObservationType,
        get_native_backend_config)
    from torch.ao.quantization.fx import fuse as _ao_fuse
    from torch.ao.quantization.fx import prepare as _ao_prepare
    from torch.ao.quantization.fx.custom_config import (FuseCustomConfig,
                                                        PrepareCustomConfig)
    from torch.ao.quantization.fx.tracer import QuantizationTracer
    from torch.nn.utils.fusion import fuse_conv_bn_weights

__all__ = [
    'quiet_ao', 'nni', 'nniqat', 'nnqat', 'fake_quantize_module',
    'observer_module', 'FloatFunctional', 'FXFloatFunctional', 'FakeQuantize',
    'FakeQuantizeBase', 'FixedQParamsFakeQuantize',
    'FusedMovingAvgObsFakeQuantize', 'MinMaxObserver',
    'MovingAverageMinMaxObserver', 'MovingAveragePerChannelMinMaxObserver',
    'ObserverBase', 'PerChannelMinMaxObserver', 'QConfig', 'QConfigMapping',
    'disable_fake_quant', 'disable_observer', 'enable_fake_quant',
    'enable_observer', 'BackendConfig', 'BackendPatternConfig', 'DTypeConfig',
    'ObservationType', 'get_native_backend_config', 'FuseCustomConfig',
    'PrepareCustomConfig', 'QuantizationTracer', 'fuse_conv_bn_weights',
    'fuse_fx', 'prepare_fx', 'swap_ff_with_fxff', 'attach_meta_to_nodes',
    'torch_observer_classes', 'torch_fake_quant_classes', 'QAT_MODULES',
    'FUSED_QAT_CONV_BN', 'FUSED_QAT_CONV', 'is_activation_post_process',
    'freeze_bn_stats', 'update_bn_stats'
]


def swap_ff_with_fxff(model: nn.Module) -> None:
    """Replace every ``FloatFunctional`` in ``model`` with the traceable
    ``FXFloatFunctional`` (what ``prepare_qat_fx`` does first).

    Args:
        model (nn.Module): The model, changed in place.
    """
    to_swap = []
    for name, child in model.named_children():
        if isinstance(child, FloatFunctional):
            to_swap.append(name)
        else:
            swap_ff_with_fxff(child)
    for name in to_swap:
        setattr(model, name, FXFloatFunctional())


def attach_meta_to_nodes(graph_module: GraphModule) -> None:
    """Give every node a ``meta`` dict (torch.ao's prepare expects one)."""
    for node in graph_module.graph.nodes:
        if not hasattr(node, 'meta'):
            node.meta = {}


def fuse_fx(graph_module: GraphModule,
            is_qat: bool = True,
            backend_config: Optional[BackendConfig] = None,
            preserved_attributes: Optional[List[str]] = None) -> GraphModule:
    """Fuse conv/bn/relu (etc.) patterns of a traced graph module.

    Args:
        graph_module (GraphModule): A traced model.
        is_qat (bool): Fuse for QAT (keep BN as a QAT ConvBn module).
        backend_config (BackendConfig, optional): Fusion patterns.
        preserved_attributes (list[str], optional): Attributes to keep.

    Returns:
        GraphModule: The fused graph module.
    """
    if not isinstance(graph_module, GraphModule):
        raise TypeError('fuse_fx expects a torch.fx.GraphModule, got '
                        f'{type(graph_module).__name__}')
    fuse_cfg = FuseCustomConfig().set_preserved_attributes(
        list(preserved_attributes or []))
    with quiet_ao():
        return _ao_fuse(graph_module, is_qat, fuse_cfg, backend_config)


def prepare_fx(graph_module: GraphModule,
               qconfig_mapping: QConfigMapping,
               node_name_to_scope: Dict[str, Tuple[str, type]],
               example_inputs: Tuple[Any, ...] = (),
               is_qat: bool = True,
               prepare_custom_config: Optional[PrepareCustomConfig] = None,
               backend_config: Optional[BackendConfig] = None) -> GraphModule:
    """Insert observers / fake-quants into a fused graph module.

    Args:
        graph_module (GraphModule): The fused graph module.
        qconfig_mapping (QConfigMapping): Which qconfig goes where.
        node_name_to_scope (dict): From the tracer.
        example_inputs (tuple): Example inputs (only used for shapes).
        is_qat (bool): Swap modules for their QAT versions.
        prepare_custom_config (PrepareCustomConfig, optional): Custom
            module mappings and preserved attributes.
        backend_config (BackendConfig, optional): Supported patterns.

    Returns:
        GraphModule: The prepared (observed) graph module.
    """
    if prepare_custom_config is None:
        prepare_custom_config = PrepareCustomConfig()
    elif isinstance(as_config_dict(prepare_custom_config), dict):
        prepare_custom_config = PrepareCustomConfig.from_dict(
            dict(as_config_dict(prepare_custom_config)))
    attach_meta_to_nodes(graph_module)
    with quiet_ao():
        return _ao_prepare(
            graph_module,
            qconfig_mapping,
            is_qat,
            node_name_to_scope,
            example_inputs=example_inputs,
            prepare_custom_config=prepare_custom_config,
            backend_config=backend_config)


def _public_subclasses(module, base: type) -> Dict[str, type]:
    found = {}
    for name in dir(module):
        obj = getattr(module, name)
        if name.startswith('_') or name.startswith('default'):
            continue
        if isinstance(obj, type) and issubclass(obj, base):
            found[name] = obj
    return found


def torch_observer_classes() -> Dict[str, type]:
    """Every public observer class of ``torch.ao.quantization.observer``."""
    return _public_subclasses(observer_module, ObserverBase)


def torch_fake_quant_classes() -> Dict[str, type]:
    """Every public fake-quant class of
    ``torch.ao.quantization.fake_quantize``."""
    return _public_subclasses(fake_quantize_module, FakeQuantizeBase)


def is_activation_post_process(module: nn.Module) -> bool:
    """Whether ``module`` is an observer or a fake-quant."""
    return isinstance(module, (ObserverBase, FakeQuantizeBase))


freeze_bn_stats = nniqat.freeze_bn_stats
update_bn_stats = nniqat.update_bn_stats

# QAT modules that ``post_process_for_deploy`` folds back to float.
FUSED_QAT_CONV_BN = (nniqat.ConvBn1d, nniqat.ConvBn2d, nniqat.ConvBn3d,
                     nniqat.ConvBnReLU1d, nniqat.ConvBnReLU2d,
                     nniqat.ConvBnReLU3d)
FUSED_QAT_CONV = (nniqat.ConvReLU1d, nniqat.ConvReLU2d, nniqat.ConvReLU3d)
QAT_MODULES = FUSED_QAT_CONV_BN + FUSED_QAT_CONV + (
    nniqat.LinearReLU, nniqat.LinearBn1d, nnqat.Conv1d, nnqat.Conv2d,
    nnqat.Conv3d, nnqat.Linear)
