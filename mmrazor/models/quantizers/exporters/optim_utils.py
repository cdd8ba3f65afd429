# Copyright (c) OpenMMLab. All rights reserved.
"""Small ONNX graph-surgery helpers used by the quantize exporters."""
from typing import Dict, List, Optional

import numpy as np


class ONNXOptimUtils:
    """Static helpers over an ``onnx.ModelProto``'s graph."""

    @staticmethod
    def map_name_and_data(onnx_model) -> Dict[str, np.ndarray]:
        """``{name: array}`` of initializers and ``Constant`` outputs."""
        from onnx import numpy_helper
        data = {
            init.name: numpy_helper.to_array(init)
            for init in onnx_model.graph.initializer
        }
        for node in onnx_model.graph.node:
            if node.op_type == 'Constant':
                for attr in node.attribute:
                    if attr.name == 'value':
                        data[node.output[0]] = numpy_helper.to_array(attr.t)
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
                    for n in rest for i in n.input if i not in available
                }
                raise RuntimeError('the ONNX graph has a cycle or dangling '
                                   f'inputs: {sorted(missing)[:5]}')
            pending = rest
        del graph.node[:]
        graph.node.extend(ordered)
