# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp

from mmrazor.registry import MODELS
from .native_quantizer import DEPLOY_REDUNDANT_FAKEQUANTS, TorchNativeQuantizer


@MODELS.register_module()
class OpenVINOQuantizer(TorchNativeQuantizer):
    """Quantizer for the OpenVINO backend.

    No fake-quant before ``ReLU6``/``Identity``, after ``MaxPool2d`` or
    ``flatten``, or before the graph output. ``export_onnx`` writes the QDQ
    model as ``<name>_symbolic.onnx`` and converts it to OpenVINO
    ``FakeQuantize`` nodes.
    """

    redundant_fakequants = DEPLOY_REDUNDANT_FAKEQUANTS
    onnx_int8_weights = False  # the conversion reads weight Q/DQ pairs

    @property
    def backend(self) -> str:
        return 'openvino'

    def qdq_onnx_path(self, output_path: str) -> str:
        """The QDQ model is kept next to the result as
        ``<name>_symbolic.onnx``."""
        root, ext = osp.splitext(output_path)
        return f'{root}_symbolic{ext or ".onnx"}'

    def convert_qdq_onnx(self, qdq_path: str, output_path: str) -> str:
        """Rewrite the QDQ pairs as OpenVINO ``FakeQuantize`` nodes.

        Returns:
            str: ``output_path``.
        """
        from .exporters import OpenVinoQuantizeExportor
        return OpenVinoQuantizeExportor(qdq_path, output_path).export()
