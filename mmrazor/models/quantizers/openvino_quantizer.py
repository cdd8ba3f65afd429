# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
from typing import Any, Tuple

import torch
import torch.nn as nn

from mmrazor.registry import MODELS
from .native_quantizer import TorchNativeQuantizer


@MODELS.register_module()
class OpenVINOQuantizer(TorchNativeQuantizer):
    """Quantizer for the OpenVINO backend.

    No fake-quant before ``ReLU6``/``Identity``, after ``MaxPool2d`` or
    ``flatten``, or before the graph output. ``export_onnx`` writes the QDQ
    model as ``<name>_symbolic.onnx`` and converts it to OpenVINO
    ``FakeQuantize`` nodes.
    """

    @property
    def backend(self) -> str:
        return 'openvino'

    @property
    def support_w_modes(self) -> Tuple[str, ...]:
        return ('per_tensor', 'per_channel')

    @property
    def support_a_modes(self) -> Tuple[str, ...]:
        return ('per_tensor', )

    @property
    def module_prev_wo_fakequant(self) -> Tuple:
        return (nn.ReLU6, nn.Identity)

    @property
    def module_next_wo_fakequant(self) -> Tuple:
        return (nn.MaxPool2d, )

    @property
    def method_next_wo_fakequant(self) -> Tuple:
        return ('flatten', )

    @property
    def function_next_wo_fakequant(self) -> Tuple:
        return (torch.flatten, )

    @property
    def op_prev_wo_fakequant(self) -> Tuple:
        return ('output', )

    def export_onnx(self,
                    model: nn.Module,
                    args: Any,
                    output_path: str,
                    opset_version: int = 13,
                    **kwargs) -> str:
        """Export to an OpenVINO ``FakeQuantize``-style ONNX file.

        Returns:
            str: ``output_path``.
        """
        from .exporters import OpenVinoQuantizeExportor, export_qdq_onnx
        root, ext = osp.splitext(output_path)
        symbolic = f'{root}_symbolic{ext or ".onnx"}'
        export_qdq_onnx(model, args, symbolic, opset_version, **kwargs)
        return OpenVinoQuantizeExportor(symbolic, output_path).export()
