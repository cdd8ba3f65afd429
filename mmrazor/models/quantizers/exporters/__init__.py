# Copyright (c) OpenMMLab. All rights reserved.
from .base_quantize_exporter import BaseQuantizeExportor, export_qdq_onnx
from .openvino_quantize_exporter import OpenVinoQuantizeExportor
from .optim_utils import ONNXOptimUtils
from .tensorrt_quantize_exporter import TensorRTExplicitExporter

__all__ = [
    'BaseQuantizeExportor', 'OpenVinoQuantizeExportor',
    'TensorRTExplicitExporter', 'ONNXOptimUtils', 'export_qdq_onnx'
]
