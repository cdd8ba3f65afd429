# Copyright (c) OpenMMLab. All rights reserved.
"""Small ONNX graph-surgery helpers used by the quantize exporters."""
import warnings
from typing import Dict, List, Optional, Tuple, Type

import numpy as np


def _shape_inference_errors() -> Tuple[Type[BaseException], ...]:
    """The errors ``onnx.shape_inference.infer_shapes`` raises."""
    import onnx
    errors: List[Type[BaseException]] = [onnx.checker.ValidationError]
    inference_error = getattr(onnx.shape_inference, 'InferenceError', None)
    if inference_error is not None:
        errors.append(inference_error)
    return tuple(errors)


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
    def squeeze_per_tensor_qparams(onnx_model) -> int:
        """Give per-tensor ``QuantizeLinear`` / ``DequantizeLinear`` nodes
        scalar scale and zero point.

        torch exports per-tensor qparams as 1-element 1-D tensors. ONNX
        allows that, but ONNX Runtime's QDQ fusions of element-wise ops
        (``QLinearAdd``, ``QLinearMul``, ...) only match scalar qparams, so
        the residual additions would stay in float. A 1-element vector
        and a scalar quantize identically (with a single channel even a
        per-axis node is per-tensor), so the rewrite is exact.

        Returns:
            int: The number of nodes rewritten.
        """
        from onnx import numpy_helper
        data = ONNXOptimUtils.map_name_and_data(onnx_model)
        graph = onnx_model.graph
        taken = {i.name for i in graph.initializer}
        taken.update(o for n in graph.node for o in n.output)
        scalars: Dict[str, str] = {}
        count = 0
        for node in graph.node:
            if node.op_type not in ('QuantizeLinear', 'DequantizeLinear'):
                continue
            qparams = [(idx, name)
                       for idx, name in enumerate(node.input[1:3], 1) if name]
            values = [data.get(name) for _, name in qparams]
            if any(v is None or v.ndim != 1 or v.size != 1 for v in values):
                continue
            for (idx, name), value in zip(qparams, values):
                if name not in scalars:
                    new_name = f'{name}_scalar'
                    while new_name in taken:
                        new_name += '_'
                    taken.add(new_name)
                    graph.initializer.append(
                        numpy_helper.from_array(value.reshape(()), new_name))
                    scalars[name] = new_name
                node.input[idx] = scalars[name]
            for attr in list(node.attribute):
                if attr.name == 'axis':
                    node.attribute.remove(attr)
            count += 1
        if count:
            ONNXOptimUtils.remove_unused_constants(onnx_model)
        return count

    @staticmethod
    def fold_constant_quantize(onnx_model) -> int:
        """Store quantized constants (the weights) as integer initializers.

        ``QuantizeLinear`` of a float initializer becomes the initializer
        it computes (``saturate(round_half_even(x / scale) + zero_point)``,
        per tensor or along ``axis``), read by the ``DequantizeLinear`` as
        before: the canonical QDQ form of ONNX Runtime, with weights four
        times smaller than float. The float weight is dropped where nothing
        else reads it.

        Returns:
            int: The number of ``QuantizeLinear`` nodes folded.
        """
        from onnx import numpy_helper
        graph = onnx_model.graph
        inits = {i.name: i for i in graph.initializer}
        data = ONNXOptimUtils.map_name_and_data(onnx_model)
        outputs = {o.name for o in graph.output}
        folded = []
        for node in graph.node:
            if node.op_type != 'QuantizeLinear' or \
                    node.input[0] not in inits or node.output[0] in outputs:
                continue
            x = numpy_helper.to_array(inits[node.input[0]])
            scale = data.get(node.input[1])
            zp = data.get(node.input[2]) if len(node.input) > 2 and \
                node.input[2] else np.zeros((), np.uint8)
            if scale is None or zp is None or x.dtype != np.float32 or \
                    zp.dtype not in (np.uint8, np.int8):
                continue
            if scale.size > 1:
                axis = ([a.i for a in node.attribute if a.name == 'axis']
                        or [1])[0]
                shape = [1] * x.ndim
                shape[axis] = -1
                scale, zp = scale.reshape(shape), zp.reshape(shape)
            info = np.iinfo(zp.dtype)
            q = np.rint(x / scale.astype(np.float32)) + zp.astype(np.float32)
            q = np.clip(q, info.min, info.max).astype(zp.dtype)
            graph.initializer.append(
                numpy_helper.from_array(q, node.output[0]))
            folded.append(node)
        for node in folded:
            graph.node.remove(node)
        if folded:
            ONNXOptimUtils.remove_unused_constants(onnx_model)
        return len(folded)

    @staticmethod
    def shrink_single_pixel_convs(onnx_model) -> int:
        """Give 1x1 kernels to convolutions over a 1x1 feature map.

        Where the (statically known) spatial size of a ``Conv`` input is 1
        and so is its output's, only one tap of the kernel (the one at
        offset ``pads_begin / dilation``) meets the input; all others
        multiply zero padding (in a QDQ model: the zero point, i.e. 0.0).
        Keeping only that tap gives the same result, exactly, with
        ``k*k`` times less work: it is what small inputs (e.g. the last
        stage of a ResNet at 32x32) reach, and ONNX Runtime's int8
        ``QLinearConv`` is slow on a 3x3 kernel over a single pixel.

        The weight may be an initializer or reach the ``Conv`` through
        ``QuantizeLinear`` / ``DequantizeLinear`` nodes (per-tensor or
        per-output-channel); it is only rewritten when this ``Conv`` is its
        only user.

        Returns:
            int: The number of convolutions rewritten.
        """
        from onnx import helper, numpy_helper, shape_inference
        graph = onnx_model.graph
        try:
            inferred = shape_inference.infer_shapes(
                onnx_model, strict_mode=True).graph
        except _shape_inference_errors() as e:
            warnings.warn(
                f'{__name__}: shrink_single_pixel_convs rewrote nothing: '
                f'ONNX shape inference failed ({type(e).__name__}: '
                f'{str(e)[:200]})')
            return 0
        shapes = {}
        for vi in list(inferred.value_info) + list(inferred.input):
            dims = vi.type.tensor_type.shape.dim
            shapes[vi.name] = [
                d.dim_value if d.HasField('dim_value') else None for d in dims
            ]
        inits = {i.name: i for i in graph.initializer}
        producer = ONNXOptimUtils.map_output_and_node(onnx_model)
        consumers = ONNXOptimUtils.map_input_and_node(onnx_model)
        count = 0
        for node in graph.node:
            if node.op_type != 'Conv' or len(node.input) < 2:
                continue
            shape = shapes.get(node.input[0])
            if not shape or len(shape) < 3 or any(d != 1 for d in shape[2:]):
                continue
            weight = ONNXOptimUtils._conv_weight_initializer(
                node.input[1], inits, producer, consumers)
            if weight is None:
                continue
            w = numpy_helper.to_array(weight)
            n_sp = w.ndim - 2
            attrs = {
                a.name: helper.get_attribute_value(a)
                for a in node.attribute
            }
            auto_pad = attrs.get('auto_pad', b'NOTSET')
            if auto_pad not in (b'NOTSET', 'NOTSET'):
                continue
            kernel = list(attrs.get('kernel_shape', w.shape[2:]))
            pads = list(attrs.get('pads', [0] * 2 * n_sp))
            dilations = list(attrs.get('dilations', [1] * n_sp))
            strides = list(attrs.get('strides', [1] * n_sp))
            taps = []
            for i in range(n_sp):
                begin, end = pads[i], pads[i + n_sp]
                extent = dilations[i] * (kernel[i] - 1) + 1
                out = (1 + begin + end - extent) // strides[i] + 1
                tap, rem = divmod(begin, dilations[i])
                if out != 1 or rem or not 0 <= tap < kernel[i]:
                    break
                taps.append(tap)
            if len(taps) != n_sp or all(k == 1 for k in kernel):
                continue
            index = (slice(None), slice(None)) + tuple(
                slice(t, t + 1) for t in taps)
            weight.CopyFrom(
                numpy_helper.from_array(
                    np.ascontiguousarray(w[index]), weight.name))
            keep = [
                a for a in node.attribute
                if a.name not in ('kernel_shape', 'pads', 'dilations',
                                  'strides')
            ]
            del node.attribute[:]
            node.attribute.extend(keep + [
                helper.make_attribute('kernel_shape', [1] * n_sp),
                helper.make_attribute('pads', [0] * 2 * n_sp),
                helper.make_attribute('strides', [1] * n_sp)
            ])
            count += 1
        return count

    @staticmethod
    def _conv_weight_initializer(name, inits, producer, consumers):
        """The initializer holding a conv weight reached through at most
        a ``QuantizeLinear`` and a ``DequantizeLinear`` (quantized along
        axis 0 or per tensor), or None; every tensor on the way must have
        a single user."""
        for _ in range(3):
            if len(consumers.get(name, [])) != 1:
                return None
            if name in inits:
                return inits[name]
            node = producer.get(name)
            if node is None or node.op_type not in ('QuantizeLinear',
                                                    'DequantizeLinear'):
                return None
            scale = inits.get(node.input[1]) if len(node.input) > 1 \
                else None
            per_tensor = scale is not None and \
                int(np.prod(scale.dims)) == 1
            axis = [a.i for a in node.attribute if a.name == 'axis']
            if not per_tensor and axis != [0]:
                return None
            name = node.input[0]
        return None

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
