# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np

from .base_quantize_exporter import BaseQuantizeExportor


class TensorRTExplicitExporter(BaseQuantizeExportor):
    """TensorRT explicit-quantization ONNX (QuantizeLinear /
    DequantizeLinear pairs).

    TensorRT only accepts symmetric quantization: every zero point must be
    0 (checked, with the node named). Dangling constants are removed and
    nodes topologically sorted.
    """

    def export(self) -> str:
        for q_node, _ in self.qdq_pairs():
            if len(q_node.input) < 3:
                continue
            zero_point = self.name2data.get(q_node.input[2])
            if zero_point is not None and np.any(zero_point != 0):
                raise ValueError(
                    f'{q_node.name}: TensorRT needs symmetric quantization '
                    '(zero point 0); use is_symmetry=True and '
                    "qdtype='qint8' in the qschemes")
        self.optimizer.remove_unused_constants(self.onnx_model)
        self.optimizer.topo_sort(self.onnx_model)
        return self.save()
