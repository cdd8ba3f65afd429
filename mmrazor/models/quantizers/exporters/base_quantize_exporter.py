# Copyright (c) OpenMMLab. All rights reserved.
import copy
import warnings
from typing import Any, List, Union

import torch
import torch.nn as nn

from mmrazor.structures.quantization.torch_ao import FakeQuantizeBase
from mmrazor.utils import atomic_write
from .optim_utils import ONNXOptimUtils

_ONNX_QRANGES = ((0, 255), (-128, 127), (0, 127))


def _prepare_for_onnx(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose fake-quants ONNX QDQ can express.

    The symmetric signed range ``[-127, 127]`` is widened to ``[-128, 127]``
    (values quantized with a symmetric scale never reach -128, so nothing
    changes numerically). Other non-8-bit ranges cannot be expressed by
    ``QuantizeLinear`` and raise.
    """
    model = copy.deepcopy(model).eval()
    for name, module in model.named_modules():
        if not isinstance(module, FakeQuantizeBase):
            continue
        if not hasattr(module, 'quant_min'):
            continue
        qrange = (int(module.quant_min), int(module.quant_max))
        if qrange == (-127, 127):
            module.quant_min = -128
            if hasattr(module, 'activation_post_process'):
                module.activation_post_process.quant_min = -128
        elif qrange not in _ONNX_QRANGES and \
                bool(module.fake_quant_enabled[0]):
            raise ValueError(
                f'{name}: quantization range {qrange} cannot be exported to '
                f'ONNX QuantizeLinear (allowed: {_ONNX_QRANGES}); only 8-bit '
                'models can be exported')
        module.disable_observer()
    return model


# Warnings of the TorchScript exporter that say nothing about the model:
# its own deprecation and the tracer's notes on the fake-quant internals.
_QUIET_EXPORT_WARNINGS = (DeprecationWarning, FutureWarning,
                          torch.jit.TracerWarning)


def report_export_warnings(caught: List[warnings.WarningMessage],
                           model_name: str) -> List[str]:
    """Re-emit what ``torch.onnx.export`` warned about the model.

    The exporter's deprecation notices and tracer notes are dropped; every
    other warning (e.g. an operator exported approximately) reaches the
    user once, prefixed with the module that exported.

    Args:
        caught (list): Warnings recorded during the export.
        model_name (str): The exported model's class name.

    Returns:
        list[str]: The messages re-emitted.
    """
    seen: List[str] = []
    for item in caught:
        if issubclass(item.category, _QUIET_EXPORT_WARNINGS):
            continue
        text = str(item.message)
        if text in seen:
            continue
        seen.append(text)
        warnings.warn(
            f'{__name__}: exporting {model_name} to ONNX: '
            f'{item.category.__name__}: {text}',
            UserWarning,
            stacklevel=3)
    return seen


def export_qdq_onnx(model: nn.Module,
                    args: Any,
                    output_path: str,
                    opset_version: int = 13,
                    fold_relu: bool = True,
                    shrink_single_pixel_convs: bool = True,
                    int8_weights: bool = False,
                    **kwargs) -> str:
    """Export ``model`` with its fake-quants as QuantizeLinear /
    DequantizeLinear pairs (TorchScript exporter; written atomically).

    The graph is laid out for ONNX Runtime's int8 kernels: per-tensor
    qparams become scalars (needed for its ``QLinearAdd`` fusion; see
    :meth:`ONNXOptimUtils.squeeze_per_tensor_qparams`), plus the optional
    exact rewrites below. ``LearnableFakeQuantize`` (LSQ) modules export as
    Q/DQ pairs with their current qparams.

    Args:
        model (nn.Module): A deploy model.
        args (Any): Example inputs (a tensor or tuple).
        output_path (str): Target file.
        opset_version (int): >= 13 for per-channel weights.
        fold_relu (bool): Remove ``Relu`` nodes made redundant by the
            following ``QuantizeLinear`` (exact; see
            :meth:`ONNXOptimUtils.fold_relu_into_quantize`).
        shrink_single_pixel_convs (bool): Give 1x1 kernels to convolutions
            over 1x1 feature maps of the exported (static) input size
            (exact; see :meth:`ONNXOptimUtils.shrink_single_pixel_convs`).
        int8_weights (bool): Store the quantized weights as integer
            initializers read by ``DequantizeLinear`` (no weight
            ``QuantizeLinear``; see
            :meth:`ONNXOptimUtils.fold_constant_quantize`). What ONNX
            Runtime runs either way, 4x smaller; the OpenVINO and TensorRT
            conversions expect the Q/DQ pairs. Defaults to False.
        **kwargs: Passed to ``torch.onnx.export``.

    Returns:
        str: ``output_path``.
    """
    if opset_version < 13:
        raise ValueError('opset_version must be >= 13 for per-channel '
                         f'QuantizeLinear, got {opset_version}')
    model = _prepare_for_onnx(model)
    if isinstance(args, torch.Tensor):
        args = (args, )
    kwargs.setdefault('input_names', ['input'])
    kwargs.setdefault('output_names', ['output'])

    def write(tmp: str) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            with torch.no_grad():
                torch.onnx.export(
                    model,
                    args,
                    tmp,
                    opset_version=opset_version,
                    dynamo=False,
                    **kwargs)
        report_export_warnings(caught, type(model).__name__)
        import onnx
        onnx_model = onnx.load(tmp)
        changed = ONNXOptimUtils.squeeze_per_tensor_qparams(onnx_model)
        if shrink_single_pixel_convs and \
                ONNXOptimUtils.shrink_single_pixel_convs(onnx_model):
            changed = True
        if int8_weights and \
                ONNXOptimUtils.fold_constant_quantize(onnx_model):
            changed = True
        if fold_relu and \
                ONNXOptimUtils.fold_relu_into_quantize(onnx_model):
            ONNXOptimUtils.topo_sort(onnx_model)
            changed = True
        if changed:
            onnx.save(onnx_model, tmp)

    atomic_write(output_path, write)
    return output_path


class BaseQuantizeExportor:
    """Base of the ONNX post-processors of the quantizers.

    Args:
        onnx_model (str | onnx.ModelProto): The QDQ ONNX model (or path).
        export_path (str): Where :meth:`export` writes the result.
    """

    optimizer = ONNXOptimUtils

    def __init__(self, onnx_model: Union[str, Any], export_path: str):
        import onnx
        if isinstance(onnx_model, str):
            onnx_model = onnx.load(onnx_model)
        self.onnx_model = onnx_model
        self.export_path = export_path
        self._init_mappings()

    def _init_mappings(self) -> None:
        self.name2data = self.optimizer.map_name_and_data(self.onnx_model)
        self.output2node = self.optimizer.map_output_and_node(self.onnx_model)
        self.input2node = self.optimizer.map_input_and_node(self.onnx_model)

    def qdq_pairs(self):
        """``[(QuantizeLinear, [DequantizeLinear...])]`` of the graph."""
        pairs = []
        for node in self.onnx_model.graph.node:
            if node.op_type != 'QuantizeLinear':
                continue
            consumers = self.input2node.get(node.output[0], [])
            dqs = [c for c in consumers if c.op_type == 'DequantizeLinear']
            if dqs and len(dqs) == len(consumers):
                pairs.append((node, dqs))
        return pairs

    def save(self) -> str:
        """Check and write the model atomically to ``export_path``."""
        import onnx
        atomic_write(self.export_path,
                     lambda tmp: onnx.save(self.onnx_model, tmp))
        return self.export_path

    def export(self) -> str:
        """Post-process and save; subclasses transform the graph first."""
        return self.save()
