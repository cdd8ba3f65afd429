# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np

from .base_quantize_exporter import BaseQuantizeExportor

OPENVINO_DOMAIN = 'org.openvinotoolkit'


class OpenVinoQuantizeExportor(BaseQuantizeExportor):
    """Rewrite QuantizeLinear/DequantizeLinear pairs as OpenVINO
    ``FakeQuantize`` nodes (domain ``org.openvinotoolkit``).

    ``FakeQuantize(x, input_low, input_high, output_low, output_high,
    levels)`` with ``low = (qmin - zp) * scale``, ``high = (qmax - zp) *
    scale`` and ``levels = qmax - qmin + 1``; per-channel ranges are shaped
    to broadcast along the quantization axis.
    """

    def _qrange(self, q_node):
        zp = self.name2data.get(q_node.input[2]) if len(
            q_node.input) > 2 else None
        if zp is None or zp.dtype == np.uint8:
            return 0, 255, zp
        return -128, 127, zp

    def export(self) -> str:
        from onnx import helper, numpy_helper
        graph = self.onnx_model.graph
        new_nodes, removed = [], set()
        for idx, (q_node, dq_nodes) in enumerate(self.qdq_pairs()):
            scale = self.name2data.get(q_node.input[1])
            if scale is None:
                raise ValueError(f'{q_node.name}: scale is not a constant')
            qmin, qmax, zp = self._qrange(q_node)
            zp = np.zeros_like(scale) if zp is None else zp.astype(np.float32)
            scale = scale.astype(np.float32)
            low = (qmin - zp) * scale
            high = (qmax - zp) * scale
            axis = 1
            for attr in q_node.attribute:
                if attr.name == 'axis':
                    axis = attr.i
            if scale.ndim == 1 and scale.size > 1:
                # broadcast along ``axis`` of the input
                rank = self._rank(q_node.input[0])
                shape = [1] * rank
                shape[axis] = -1
                low, high = low.reshape(shape), high.reshape(shape)
            names = [
                f'{q_node.name or "fq"}_{idx}_{k}'
                for k in ('in_low', 'in_high', 'out_low', 'out_high')
            ]
            for name, value in zip(names, (low, high, low, high)):
                graph.initializer.append(
                    numpy_helper.from_array(
                        np.asarray(value, dtype=np.float32), name))
            for dq in dq_nodes:
                new_nodes.append(
                    helper.make_node(
                        'FakeQuantize', [q_node.input[0]] + names,
                        list(dq.output),
                        name=f'{dq.name or "FakeQuantize"}_fq',
                        domain=OPENVINO_DOMAIN,
                        levels=int(qmax - qmin + 1)))
                removed.add(id(dq))
            removed.add(id(q_node))
        kept = [n for n in graph.node if id(n) not in removed]
        del graph.node[:]
        graph.node.extend(kept + new_nodes)
        if not any(o.domain == OPENVINO_DOMAIN
                   for o in self.onnx_model.opset_import):
            self.onnx_model.opset_import.append(
                helper.make_opsetid(OPENVINO_DOMAIN, 1))
        self.optimizer.remove_unused_constants(self.onnx_model)
        self.optimizer.topo_sort(self.onnx_model)
        return self.save()

    def _rank(self, tensor_name: str) -> int:
        value = self.name2data.get(tensor_name)
        if value is not None:
            return value.ndim
        for vi in list(self.onnx_model.graph.value_info) + list(
                self.onnx_model.graph.input):
            if vi.name == tensor_name:
                return len(vi.type.tensor_type.shape.dim)
        return 4
