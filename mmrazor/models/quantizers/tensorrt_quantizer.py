# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.registry import MODELS
from .native_quantizer import DEPLOY_REDUNDANT_FAKEQUANTS, TorchNativeQuantizer


@MODELS.register_module()
class TensorRTQuantizer(TorchNativeQuantizer):
    """Quantizer for TensorRT (explicit QDQ quantization, symmetric qint8).

    Same redundant fake-quant removal as OpenVINO; ``export_onnx`` writes
    QuantizeLinear/DequantizeLinear pairs (opset 13) checked for symmetry.
    """

    redundant_fakequants = DEPLOY_REDUNDANT_FAKEQUANTS
    onnx_int8_weights = False  # the conversion reads weight Q/DQ pairs

    @property
    def backend(self) -> str:
        return 'tensorrt'

    def convert_qdq_onnx(self, qdq_path: str, output_path: str) -> str:
        """Check the QDQ model is symmetric and clean it up for TensorRT.

        Returns:
            str: ``output_path``.
        """
        from .exporters import TensorRTExplicitExporter
        return TensorRTExplicitExporter(qdq_path, output_path).export()
