# Copyright (c) OpenMMLab. All rights reserved.
import importlib
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from torch.fx import GraphModule

from mmrazor.models.task_modules.tracer.fx import (
    build_graphmodule, del_fakequant_after_function,
    del_fakequant_after_method, del_fakequant_after_module,
    del_fakequant_after_op, del_fakequant_before_function,
    del_fakequant_before_method, del_fakequant_before_module,
    del_fakequant_before_op)
from mmrazor.models.utils import str2class
from mmrazor.registry import MODELS
from mmrazor.structures.quantization import QConfigHandler, get_backend_config
# yapf: disable
from mmrazor.structures.quantization.torch_ao import (FUSED_QAT_CONV,
                                                      FUSED_QAT_CONV_BN,
                                                      QConfig, QConfigMapping,
                                                      fuse_fx, nni, nniqat,
                                                      nnqat, prepare_fx,
                                                      quiet_ao)
# yapf: enable
from .base import BaseQuantizer

EXTRA_KEYS = ('extra_module_prev_wo_fakequant',
              'extra_module_next_wo_fakequant',
              'extra_function_prev_wo_fakequant',
              'extra_function_next_wo_fakequant',
              'extra_method_prev_wo_fakequant',
              'extra_method_next_wo_fakequant', 'extra_op_prev_wo_fakequant',
              'extra_op_next_wo_fakequant')

# The fake-quants that int8 deploy backends (OpenVINO, TensorRT) do not
# need: none before ReLU6 / Identity (they run on the producer's grid),
# after max pooling or flatten (they keep their input's grid) or before the
# graph output (the float result is returned).
DEPLOY_REDUNDANT_FAKEQUANTS: Dict[str, Tuple] = dict(
    module_prev_wo_fakequant=(nn.ReLU6, nn.Identity),
    module_next_wo_fakequant=(nn.MaxPool2d, ),
    function_next_wo_fakequant=(torch.flatten, ),
    method_next_wo_fakequant=('flatten', ),
    op_prev_wo_fakequant=('output', ))

_FLOAT_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_QAT_CONV = {1: nnqat.Conv1d, 2: nnqat.Conv2d, 3: nnqat.Conv3d}
_QAT_CONV_RELU = {
    1: nniqat.ConvReLU1d,
    2: nniqat.ConvReLU2d,
    3: nniqat.ConvReLU3d
}
_FLOAT_CONV_RELU = {1: nni.ConvReLU1d, 2: nni.ConvReLU2d, 3: nni.ConvReLU3d}


def _import_callable(path: Union[str, Callable]) -> Callable:
    if callable(path):
        return path
    module_name, _, name = str(path).rpartition('.')
    if not module_name:
        module_name = 'torch'
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        raise ValueError(f'cannot resolve function {path!r}')
    return getattr(module, name)


def _set_module(root: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, name = path.rpartition('.')
    parent = root.get_submodule(parent_path) if parent_path else root
    setattr(parent, name, module)


class _WeightFakeQuantOnly:
    """A ``QConfig.weight`` factory returning an existing fake-quant."""

    def __init__(self, fake_quant: nn.Module) -> None:
        self.fake_quant = fake_quant

    def __call__(self, *args, **kwargs) -> nn.Module:
        return self.fake_quant


@MODELS.register_module()
class TorchNativeQuantizer(BaseQuantizer):
    """Quantizer for the PyTorch native backend (FX graph mode, QAT-style
    preparation used for both QAT and PTQ).

    Args:
        global_qconfig (dict): See
            :class:`~mmrazor.structures.quantization.QConfigHandler`.
        no_observer_modules (list[str | type], optional): Module classes
            (or ``torch.xxx`` functions) that get no observer.
        tracer (dict): Tracer config. Defaults to ``CustomTracer``.
        extra_redundant_fakequants (dict): Extra
            ``extra_{module,function,method,op}_{prev,next}_wo_fakequant``
            tuples on top of the backend's own.
    """

    #: The backend's own fake-quants to delete after ``prepare``:
    #: ``{'<module|function|method|op>_<prev|next>_wo_fakequant': (...)}``
    #: (see :data:`EXTRA_KEYS`); the native backend keeps them all.
    redundant_fakequants: Dict[str, Tuple] = {}
    #: ``export_onnx`` stores the weights as int8 initializers read by
    #: ``DequantizeLinear`` (ONNX Runtime's QDQ form); backends whose
    #: conversion needs the weight Q/DQ pairs set it to False.
    onnx_int8_weights: bool = True

    def __init__(self,
                 global_qconfig: Union[Dict, Config],
                 no_observer_modules: Optional[List] = None,
                 tracer: Dict = dict(type='CustomTracer'),
                 extra_redundant_fakequants: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(tracer, init_cfg)
        self.qconfig = QConfigHandler(global_qconfig)
        w_mode = 'per_channel' if self.qconfig.w_qscheme.is_per_channel \
            else 'per_tensor'
        a_mode = 'per_channel' if self.qconfig.a_qscheme.is_per_channel \
            else 'per_tensor'
        if w_mode not in self.support_w_modes:
            raise ValueError(f'w_observer: {type(self).__name__} supports '
                             f'weight modes {self.support_w_modes}, got '
                             f'{w_mode}')
        if a_mode not in self.support_a_modes:
            raise ValueError(f'a_observer: {type(self).__name__} supports '
                             f'activation modes {self.support_a_modes}, got '
                             f'{a_mode}')
        extra = dict(extra_redundant_fakequants or {})
        unknown = sorted(set(extra) - set(EXTRA_KEYS))
        if unknown:
            raise KeyError(f'extra_redundant_fakequants: unknown key(s) '
                           f'{unknown}; allowed: {list(EXTRA_KEYS)}')
        self.extra_redundant_fakequants = {
            k: tuple(extra.get(k, ()))
            for k in EXTRA_KEYS
        }
        self.no_observer_modules = [
            self._to_object(m) for m in (no_observer_modules or [])
        ]
        # the backend patterns with only this qconfig's dtype pair
        self.backend_config = get_backend_config(self.backend,
                                                 self.qconfig.a_qscheme.dtype,
                                                 self.qconfig.w_qscheme.dtype)
        self.example_inputs = (torch.randn(1, 3, 224, 224), )
        self.qconfig_mapping = self.gen_qconfig_mapping(
            self.qconfig, self.no_observer_modules)

    @staticmethod
    def _to_object(item: Union[str, type, Callable]) -> Any:
        if not isinstance(item, str):
            return item
        try:
            return str2class(item)
        except (ImportError, AttributeError, ValueError):
            return _import_callable(item)

    # ----- backend description (overridden by subclasses) -----
    @property
    def backend(self) -> str:
        return 'native'

    @property
    def support_w_modes(self) -> Tuple[str, ...]:
        return ('per_tensor', 'per_channel')

    @property
    def support_a_modes(self) -> Tuple[str, ...]:
        return ('per_tensor', )

    # The ``{module,function,method,op}_{prev,next}_wo_fakequant`` tuples
    # of the backend, read from ``redundant_fakequants`` (a dict keyed by
    # those names; missing keys are empty).
    @property
    def module_prev_wo_fakequant(self) -> Tuple:
        return self._redundant('module_prev_wo_fakequant')

    @property
    def module_next_wo_fakequant(self) -> Tuple:
        return self._redundant('module_next_wo_fakequant')

    @property
    def function_prev_wo_fakequant(self) -> Tuple:
        return self._redundant('function_prev_wo_fakequant')

    @property
    def function_next_wo_fakequant(self) -> Tuple:
        return self._redundant('function_next_wo_fakequant')

    @property
    def method_prev_wo_fakequant(self) -> Tuple:
        return self._redundant('method_prev_wo_fakequant')

    @property
    def method_next_wo_fakequant(self) -> Tuple:
        return self._redundant('method_next_wo_fakequant')

    @property
    def op_prev_wo_fakequant(self) -> Tuple:
        return self._redundant('op_prev_wo_fakequant')

    @property
    def op_next_wo_fakequant(self) -> Tuple:
        return self._redundant('op_next_wo_fakequant')

    def _redundant(self, key: str) -> Tuple:
        return tuple(self.redundant_fakequants.get(key, ()))

    # ----- qconfig -----
    def gen_qconfig_mapping(self, qconfig: QConfigHandler,
                            no_observer_modules: List) -> QConfigMapping:
        """Global qconfig; ``None`` for the no-observer modules/functions.
        """
        mapping = QConfigMapping().set_global(qconfig.convert())
        for obj in no_observer_modules:
            mapping.set_object_type(obj, None)
        return mapping

    # ----- prepare -----
    def prepare(self,
                model: nn.Module,
                concrete_args: Optional[Dict] = None) -> GraphModule:
        """Trace, fuse and insert fake-quants (QAT style) into ``model``.

        Args:
            model (nn.Module): The float model (its parameters are shared
                with the result).
            concrete_args (dict, optional): e.g. ``{'mode': 'predict'}``.

        Returns:
            GraphModule: The prepared (observed) graph module.
        """
        self.swap_ff_with_fxff(model)
        training = model.training
        model.train()
        try:
            traced_graph = self.tracer.trace(model, concrete_args)
            graph_module = build_graphmodule(model, traced_graph)
            graph_module = fuse_fx(
                graph_module, is_qat=True, backend_config=self.backend_config)
            prepared = prepare_fx(
                graph_module,
                self.qconfig_mapping,
                self.tracer.node_name_to_scope,
                example_inputs=self.example_inputs,
                is_qat=True,
                backend_config=self.backend_config)
        finally:
            model.train(training)
        prepared = self.del_redundant_fakequant(prepared)
        prepared.train(training)
        return prepared

    def del_redundant_fakequant(self, prepared: GraphModule) -> GraphModule:
        """Drop the fake-quants this backend does not want."""
        ex = self.extra_redundant_fakequants
        mods_prev = tuple(
            self._to_object(m) for m in (self.module_prev_wo_fakequant +
                                         ex['extra_module_prev_wo_fakequant']))
        mods_next = tuple(
            self._to_object(m) for m in (self.module_next_wo_fakequant +
                                         ex['extra_module_next_wo_fakequant']))
        funcs_prev = tuple(
            _import_callable(f)
            for f in (self.function_prev_wo_fakequant +
                      ex['extra_function_prev_wo_fakequant']))
        funcs_next = tuple(
            _import_callable(f)
            for f in (self.function_next_wo_fakequant +
                      ex['extra_function_next_wo_fakequant']))
        methods_prev = self.method_prev_wo_fakequant + \
            ex['extra_method_prev_wo_fakequant']
        methods_next = self.method_next_wo_fakequant + \
            ex['extra_method_next_wo_fakequant']
        ops_prev = self.op_prev_wo_fakequant + ex['extra_op_prev_wo_fakequant']
        ops_next = self.op_next_wo_fakequant + ex['extra_op_next_wo_fakequant']
        if mods_prev:
            prepared = del_fakequant_before_module(prepared, mods_prev)
        if mods_next:
            prepared = del_fakequant_after_module(prepared, mods_next)
        if funcs_prev:
            prepared = del_fakequant_before_function(prepared, funcs_prev)
        if funcs_next:
            prepared = del_fakequant_after_function(prepared, funcs_next)
        if methods_prev:
            prepared = del_fakequant_before_method(prepared, methods_prev)
        if methods_next:
            prepared = del_fakequant_after_method(prepared, methods_next)
        if ops_prev:
            prepared = del_fakequant_before_op(prepared, ops_prev)
        if ops_next:
            prepared = del_fakequant_after_op(prepared, ops_next)
        return prepared

    # ----- deploy -----
    @staticmethod
    def _fake_quant_weight(fake_quant: nn.Module,
                           weight: torch.Tensor) -> torch.Tensor:
        """Fake-quantize ``weight`` with the current qparams (the observer
        does not update)."""
        enabled = getattr(fake_quant, 'observer_enabled', None)
        static = getattr(fake_quant, 'static_enabled', None)
        saved = (None if enabled is None else enabled.clone(),
                 None if static is None else static.clone())
        fake_quant.disable_observer()
        fq_on = fake_quant.fake_quant_enabled.clone()
        fake_quant.enable_fake_quant()
        try:
            with torch.no_grad():
                return fake_quant(weight).detach()
        finally:
            fake_quant.fake_quant_enabled.copy_(fq_on)
            if saved[0] is not None:
                fake_quant.observer_enabled.copy_(saved[0])
            if saved[1] is not None:
                fake_quant.static_enabled.copy_(saved[1])

    def _deploy_module(self, mod: nn.Module, update_weight: bool,
                       keep_w_fake_quant: bool) -> nn.Module:
        wfq = mod.weight_fake_quant
        has_relu = isinstance(mod, FUSED_QAT_CONV) or isinstance(
            mod, (nniqat.ConvBnReLU1d, nniqat.ConvBnReLU2d,
                  nniqat.ConvBnReLU3d, nniqat.LinearReLU))
        with torch.no_grad():
            if isinstance(mod, FUSED_QAT_CONV_BN):
                bn = mod.bn
                weight, bias = torch.nn.utils.fusion.fuse_conv_bn_weights(
                    mod.weight, mod.bias, bn.running_mean, bn.running_var,
                    bn.eps, bn.weight, bn.bias)
                weight, bias = weight.detach(), bias.detach()
            elif isinstance(mod, nniqat.LinearBn1d):
                bn = mod.bn
                weight, bias = torch.nn.utils.fusion.fuse_linear_bn_weights(
                    mod.weight, mod.bias, bn.running_mean, bn.running_var,
                    bn.eps, bn.weight, bn.bias)
                weight, bias = weight.detach(), bias.detach()
            else:
                weight = mod.weight.detach()
                bias = None if mod.bias is None else mod.bias.detach()
        if update_weight:
            weight = self._fake_quant_weight(wfq, weight)
        is_linear = isinstance(mod, nn.Linear) or isinstance(
            mod, nniqat.LinearBn1d)
        if is_linear:
            qconfig = QConfig(
                activation=nn.Identity, weight=_WeightFakeQuantOnly(wfq))
            if keep_w_fake_quant:
                cls = nniqat.LinearReLU if has_relu else nnqat.Linear
                new = cls(
                    mod.in_features,
                    mod.out_features,
                    bias is not None,
                    qconfig=qconfig)
            else:
                new = nn.Linear(mod.in_features, mod.out_features, bias
                                is not None)
        else:
            dim = len(mod.kernel_size)
            args = (mod.in_channels, mod.out_channels, mod.kernel_size,
                    mod.stride, mod.padding, mod.dilation, mod.groups, bias
                    is not None, mod.padding_mode)
            if keep_w_fake_quant:
                qconfig = QConfig(
                    activation=nn.Identity, weight=_WeightFakeQuantOnly(wfq))
                cls = _QAT_CONV_RELU[dim] if has_relu else _QAT_CONV[dim]
                with quiet_ao():
                    new = cls(*args, qconfig=qconfig)
            else:
                new = _FLOAT_CONV[dim](*args)
        with torch.no_grad():
            new.weight.copy_(weight)
            if bias is not None:
                new.bias.copy_(bias)
        new.to(weight.device)
        new.train(mod.training)
        if has_relu and not keep_w_fake_quant:
            if is_linear:
                new = nni.LinearReLU(new, nn.ReLU())
            else:
                new = _FLOAT_CONV_RELU[len(mod.kernel_size)](new, nn.ReLU())
        return new

    def post_process_for_deploy(self,
                                observed_module: GraphModule,
                                device: str = 'cpu',
                                update_weight_with_fakequant: bool = False,
                                keep_w_fake_quant: bool = False) -> None:
        """Turn the QAT modules of ``observed_module`` into deployable ones,
        in place.

        ConvBn* modules get BN folded into the conv; with
        ``update_weight_with_fakequant`` the (folded) weights are replaced
        by their fake-quantized values; with ``keep_w_fake_quant`` the
        modules keep their weight fake-quant (exported as weight
        Quantize/Dequantize nodes), otherwise they become float modules.

        Args:
            observed_module (GraphModule): A prepared model.
            device (str): Device of the result. Defaults to 'cpu'.
            update_weight_with_fakequant (bool): Bake fake-quantized weights.
            keep_w_fake_quant (bool): Keep the weight fake-quants.
        """
        from mmrazor.structures.quantization.torch_ao import QAT_MODULES
        for name, mod in list(observed_module.named_modules()):
            if type(mod) in QAT_MODULES:
                new = self._deploy_module(mod, update_weight_with_fakequant,
                                          keep_w_fake_quant)
                _set_module(observed_module, name, new)
        observed_module.to(device)

    def export_onnx(self,
                    model: nn.Module,
                    args: Any,
                    output_path: str,
                    opset_version: int = 13,
                    **kwargs) -> str:
        """Export a deploy model (fake-quants as QuantizeLinear /
        DequantizeLinear) to ONNX with the TorchScript exporter, then let
        the backend convert it (:meth:`convert_qdq_onnx`).

        Args:
            model (nn.Module): The model from ``get_deploy_model``.
            args (Any): Example inputs.
            output_path (str): The ``.onnx`` file.
            opset_version (int): Defaults to 13 (per-channel QDQ).
            **kwargs: Passed to
                :func:`~mmrazor.models.quantizers.exporters.export_qdq_onnx`
                (``fold_relu``, ``int8_weights`` (defaults to
                ``onnx_int8_weights``), ``dynamic_axes``, ...).

        Returns:
            str: ``output_path``.
        """
        from .exporters import export_qdq_onnx
        kwargs.setdefault('int8_weights', self.onnx_int8_weights)
        qdq_path = self.qdq_onnx_path(output_path)
        export_qdq_onnx(model, args, qdq_path, opset_version, **kwargs)
        return self.convert_qdq_onnx(qdq_path, output_path)

    def qdq_onnx_path(self, output_path: str) -> str:
        """Where :meth:`export_onnx` writes the QDQ model (the native
        backend deploys it as is: ``output_path``)."""
        return output_path

    def convert_qdq_onnx(self, qdq_path: str, output_path: str) -> str:
        """Turn the QDQ model at ``qdq_path`` into the backend's format at
        ``output_path`` (the native backend keeps it).

        Returns:
            str: ``output_path``.
        """
        return output_path
