# Copyright (c) OpenMMLab. All rights reserved.
"""Small ONNX graph-surgery helpers used by the quantize exporters."""
from typing import Dict, List, Optional

import numpy as np


class ONNXOptimUtils:
    """Static helpers over an ``onnx.ModelProto``'s graph."""

    @staticmethod
    def map_name_and_data(onnx_model) -> Dict[str, np.ndarray]:
        """``{name: array}`` of initializers, ``Constant`` outputs and
        ``Identity`` nodes of constants."""
        from onnx import numpy_helper
        data = {
            init.name: numpy_helper.to_array(init)
            for init in onnx_model.graph.initializer
        }
        changed = True
        while changed:
            changed = False
            for node in onnx_model.graph.node:
                if node.output[0] in data:
                    continue
                if node.op_type == 'Constant':
                    for attr in node.attribute:
                        if attr.name == 'value':
                            data[node.output[0]] = numpy_helper.to_array(
                                attr.t)
                            changed = True
                elif node.op_type == 'Identity' and node.input[0] in data:
                    data[node.output[0]] = data[node.input[0]]
                    changed = True
        return data

    @staticmethod
    def map_output_and_node(onnx_model) -> Dict[str, object]:
        """``{tensor name: producing node}``."""
        out = {}
        for node in onnx_model.graph.node:
            for name in node.output:
                out[name] = node
        return out

    @staticmethod
    def map_input_and_node(onnx_model) -> Dict[str, List[object]]:
        """``{tensor name: [consuming nodes]}``."""
        out: Dict[str, List[object]] = {}
        for node in onnx_model.graph.node:
            for name in node.input:
                out.setdefault(name, []).append(node)
        return out

    @staticmethod
    def get_constant(onnx_model, name: str) -> Optional[np.ndarray]:
        """The constant value named ``name`` (None if not constant)."""
        return ONNXOptimUtils.map_name_and_data(onnx_model).get(name)

    @staticmethod
    def remove_unused_constants(onnx_model) -> None:
        """Drop initializers and Constant nodes nobody reads."""
        used = set()
        for node in onnx_model.graph.node:
            used.update(node.input)
        used.update(o.name for o in onnx_model.graph.output)
        keep = [i for i in onnx_model.graph.initializer if i.name in used]
        del onnx_model.graph.initializer[:]
        onnx_model.graph.initializer.extend(keep)
        nodes = [
            n for n in onnx_model.graph.node
            if not (n.op_type == 'Constant' and n.output[0] not in used)
        ]
        del onnx_model.graph.node[:]
        onnx_model.graph.node.extend(nodes)

    @staticmethod
    def fold_relu_into_quantize(onnx_model) -> int:
        """Bypass ``Relu`` nodes whose every consumer is a
        ``QuantizeLinear`` with zero point at the bottom of its range
        (uint8 0 / int8 -128).

        Quantizing clamps negative values to the zero point, i.e. to 0.0
        after dequantization, so ``Q(relu(x)) == Q(x)`` exactly. Removing
        the Relu lets ONNX Runtime fuse ``DQ -> Add -> Q`` into
        ``QLinearAdd``.

        Returns:
            int: The number of Relu nodes removed.
        """
        data = ONNXOptimUtils.map_name_and_data(onnx_model)
        consumers = ONNXOptimUtils.map_input_and_node(onnx_model)
        outputs = {o.name for o in onnx_model.graph.output}
        removed = []
        for node in onnx_model.graph.node:
            if node.op_type != 'Relu' or node.output[0] in outputs:
                continue
            users = consumers.get(node.output[0], [])
            if not users:
                continue
            ok = True
            for user in users:
                if user.op_type != 'QuantizeLinear' or len(user.input) < 3:
                    ok = False
                    break
                zp = data.get(user.input[2])
                if zp is None:
                    ok = False
                    break
                bottom = 0 if zp.dtype == np.uint8 else -128
                if not np.all(zp == bottom):
                    ok = False
                    break
            if not ok:
                continue
            for user in users:
                for i, name in enumerate(user.input):
                    if name == node.output[0]:
                        user.input[i] = node.input[0]
            removed.append(node)
        for node in removed:
            onnx_model.graph.node.remove(node)
        return len(removed)

    @staticmethod
    def topo_sort(onnx_model) -> None:
        """Sort the graph's nodes topologically, in place."""
        graph = onnx_model.graph
        available = {i.name for i in graph.input}
        available.update(i.name for i in graph.initializer)
        available.add('')
        pending = list(graph.node)
        ordered = []
        while pending:
            progressed = False
            rest = []
            for node in pending:
                if all(i in available for i in node.input):
                    ordered.append(node)
                    available.update(node.output)
                    progressed = True
                else:
                    rest.append(node)
            if not progressed:
                missing = {
                    i
                    for n in rest
                    for i in n.input if i not in available
                }
                raise RuntimeError('the ONNX graph has a cycle or dangling '
                                   f'inputs: {sorted(missing)[:5]}')
            pending = rest
        del graph.node[:]
        graph.node.extend(ordered)
