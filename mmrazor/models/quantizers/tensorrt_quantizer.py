# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any, Tuple

import torch
import torch.nn as nn

from mmrazor.registry import MODELS
from .native_quantizer import TorchNativeQuantizer


@MODELS.register_module()
class TensorRTQuantizer(TorchNativeQuantizer):
    """Quantizer for TensorRT (explicit QDQ quantization, symmetric qint8).

    Same redundant fake-quant removal as OpenVINO; ``export_onnx`` writes
    QuantizeLinear/DequantizeLinear pairs (opset 13) checked for symmetry.
    """

    @property
    def backend(self) -> str:
        return 'tensorrt'

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
        """Export to a TensorRT explicit-quantization (QDQ) ONNX file.

        Returns:
            str: ``output_path``.
        """
        from .exporters import TensorRTExplicitExporter, export_qdq_onnx
        export_qdq_onnx(model, args, output_path, opset_version, **kwargs)
        return TensorRTExplicitExporter(output_path, output_path).export()
