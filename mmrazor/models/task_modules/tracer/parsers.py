# Copyright (c) OpenMMLab. All rights reserved.
"""Parsers of autograd nodes (``grad_fn``) for the :class:`BackwardTracer`.

Each parser turns one backward node into the forward op it records, in the
form the channel analysis understands (the names and arguments of the FX
ops, see :mod:`mmrazor.structures.graph.channel_graph`): ``(target, args,
kwargs)`` where ``args`` hold the input ops. A node without a parser keeps
its backward class name as target (e.g. ``'BmmBackward0'``), which the
channel analysis reports as unsupported (its channels are kept). Ops the
channel-rule table (:mod:`mmrazor.structures.graph.channel_rules`) lists
with the ``'pass'`` rule need no parser: ``SeluBackward0`` is read as
``selu``. Every target a parser returns has a rule in that table.
"""
import operator
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch

_SUFFIX = re.compile(r'Backward\d*$')
_CAMEL = re.compile(r'(?<=[a-z0-9])(?=[A-Z])')
_UINT64 = 1 << 64

#: backward name -> forward function of an op that keeps the channels
PASS_OPS: Dict[str, str] = {
    'Relu': 'relu',
    'Threshold': 'relu',
    'Hardtanh': 'hardtanh',
    'Sigmoid': 'sigmoid',
    'Tanh': 'tanh',
    'Gelu': 'gelu',
    'Silu': 'silu',
    'Hardswish': 'hardswish',
    'Hardsigmoid': 'hardsigmoid',
    'LeakyRelu': 'leaky_relu',
    'Elu': 'elu',
    'Mish': 'mish',
    'Softplus': 'softplus',
    'Neg': 'neg',
    'Exp': 'exp',
    'Abs': 'abs',
    'Sqrt': 'sqrt',
    'Rsqrt': 'rsqrt',
    'Clamp': 'clamp',
    'ClampMin': 'clamp',
    'ClampMax': 'clamp',
    'Sign': 'sign',
    'Log': 'log',
    'Sin': 'sin',
    'Cos': 'cos',
    'Erf': 'erf',
    'Reciprocal': 'reciprocal',
    'Round': 'round',
    'Floor': 'floor',
    'Ceil': 'ceil',
    'Clone': 'clone',
    'ToCopy': 'to',
    'Alias': 'clone',
    'NativeDropout': 'dropout',
    'MaskedFill': 'masked_fill',
    'MaxPool1DWithIndices': 'max_pool1d',
    'MaxPool2DWithIndices': 'max_pool2d',
    'MaxPool3DWithIndices': 'max_pool3d',
    'AvgPool2D': 'avg_pool2d',
    'AvgPool3D': 'avg_pool3d',
    'AdaptiveAvgPool2D': 'adaptive_avg_pool2d',
    'AdaptiveAvgPool3D': 'adaptive_avg_pool3d',
    'AdaptiveMaxPool2D': 'adaptive_max_pool2d',
    'AdaptiveMaxPool3D': 'adaptive_max_pool3d',
    'UpsampleNearest1D': 'interpolate',
    'UpsampleNearest2D': 'interpolate',
    'UpsampleNearest3D': 'interpolate',
    'UpsampleNearestExact2D': 'interpolate',
    'UpsampleLinear1D': 'interpolate',
    'UpsampleBilinear2D': 'interpolate',
    'UpsampleBicubic2D': 'interpolate',
    'UpsampleTrilinear3D': 'interpolate',
    'ReflectionPad1D': 'interpolate',
    'ReflectionPad2D': 'interpolate',
    'ReplicationPad1D': 'interpolate',
    'ReplicationPad2D': 'interpolate',
}

#: elementwise ops of two tensors (or a tensor and a scalar)
BINARY_OPS: Dict[str, str] = {
    'Add': 'add',
    'Sub': 'sub',
    'Rsub': 'rsub',
    'Mul': 'mul',
    'Div': 'div',
    'Maximum': 'maximum',
    'Minimum': 'minimum',
}

#: reshapes (the channel analysis maps the channel dim by the shapes)
RESHAPE_OPS = {
    'View', 'UnsafeView', 'Reshape', 'ReshapeAlias', 'Squeeze', 'Unsqueeze',
    'Flatten'
}

#: reductions with ``_saved_dim`` / ``_saved_keepdim``
REDUCE_OPS: Dict[str, str] = {
    'Mean': 'mean',
    'Sum': 'sum',
    'Amax': 'amax',
    'Amin': 'amin',
    'Max': 'max',
    'Min': 'min',
    'Logsumexp': 'logsumexp',
}

#: the input slot names of binary ops, to find saved constant operands
_BINARY_SLOTS = ('self', 'other')


def op_name(grad_fn: Any) -> str:
    """``'ConvolutionBackward0'`` -> ``'Convolution'``."""
    return _SUFFIX.sub('', type(grad_fn).__name__)


def _fix_int(v: Any) -> Any:
    # negative dims are saved as unsigned 64-bit integers
    if isinstance(v, int) and not isinstance(v, bool) and v >= _UINT64 // 2:
        return v - _UINT64
    if isinstance(v, (tuple, list)):
        return type(v)(_fix_int(x) for x in v)
    return v


def saved(grad_fn: Any, name: str, default: Any = None) -> Any:
    """A saved attribute ``_saved_<name>`` of ``grad_fn`` (negative ints
    fixed), or ``default``."""
    try:
        value = getattr(grad_fn, '_saved_' + name)
    except (AttributeError, RuntimeError):
        return default
    return _fix_int(value)


def output_shapes(grad_fn: Any) -> List[Tuple[int, ...]]:
    """Shapes of the forward outputs recorded by ``grad_fn``."""
    try:
        return [tuple(m.shape) for m in grad_fn._input_metadata]
    except (AttributeError, RuntimeError):  # pragma: no cover
        return []


def output_dtypes(grad_fn: Any) -> List[torch.dtype]:
    """Dtypes of the forward outputs recorded by ``grad_fn``."""
    try:
        return [m.dtype for m in grad_fn._input_metadata]
    except (AttributeError, RuntimeError):  # pragma: no cover
        return []


def _ndim(x: Any) -> Optional[int]:
    value = getattr(x, 'value', None)
    if isinstance(value, torch.Tensor):
        return value.dim()
    return None


def _shape(x: Any) -> Optional[Tuple[int, ...]]:
    value = getattr(x, 'value', None)
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    return None


Parsed = Tuple[Any, tuple, dict]
MakeConst = Callable[[Sequence[int], str], Any]


def _index_at(dim: int, ndim: Optional[int], item: Any) -> tuple:
    if dim < 0:
        if ndim is None:
            return (Ellipsis, item) + (slice(None), ) * (-dim - 1)
        dim += ndim
    return (slice(None), ) * dim + (item, )


def parse_grad_fn(grad_fn: Any, inputs: List[Any], out_shape: Sequence[int],
                  make_const: MakeConst) -> Parsed:
    """The forward op recorded by ``grad_fn``.

    Args:
        grad_fn: The autograd node.
        inputs (list): One resolved input op per input slot of
            ``grad_fn`` (``None`` where the input needs no gradient).
        out_shape (Sequence[int]): Shape of the (first) forward output.
        make_const (Callable): ``make_const(shape, hint)`` makes a constant
            op for a tensor operand the autograd graph does not hold.

    Returns:
        tuple: ``(target, args, kwargs)``; ``target`` is a function name,
        ``operator.getitem`` or, for an unknown node, its class name.
    """
    name = op_name(grad_fn)
    present = [x for x in inputs if x is not None]
    x = present[0] if present else None
    if name in PASS_OPS:
        return PASS_OPS[name], (x, ), {}
    if name in BINARY_OPS or (name == 'Pow' and len(inputs) == 2):
        target = BINARY_OPS.get(name, 'pow')
        args = []
        for slot, inp in enumerate(inputs):
            if inp is not None:
                args.append(inp)
                continue
            # a tensor operand that needs no gradient: use the saved tensor
            # (mul/div save it) or, conservatively, one of the output shape
            const = saved(grad_fn, _BINARY_SLOTS[slot]) \
                if slot < len(_BINARY_SLOTS) else None
            if isinstance(const, torch.Tensor):
                args.append(make_const(tuple(const.shape), f'{target}_other'))
            else:
                args.append(make_const(tuple(out_shape), f'{target}_other'))
        return target, tuple(args), {}
    if name == 'Pow':
        return 'pow', (x, saved(grad_fn, 'exponent', 2)), {}
    if name in RESHAPE_OPS:
        return 'view', (x, ), {}
    if name == 'Expand':
        return 'expand', (x, ), {}
    if name == 'Repeat':
        return 'repeat', (x, ), {}
    if name == 'Permute':
        return 'permute', (x, tuple(saved(grad_fn, 'dims', ()))), {}
    if name == 'Transpose':
        return 'transpose', (x, saved(grad_fn, 'dim0'), saved(grad_fn,
                                                              'dim1')), {}
    if name == 'T':
        return 't', (x, ), {}
    if name in ('Cat', 'Stack'):
        tensors = []
        for inp in inputs:
            tensors.append(
                inp if inp is not None else make_const(
                    tuple(out_shape), 'cat_input'))
        target = 'cat' if name == 'Cat' else 'stack'
        return target, (tensors, saved(grad_fn, 'dim', 0)), {}
    if name == 'Split':
        return 'split', (x, saved(
            grad_fn, 'split_size')), dict(dim=saved(grad_fn, 'dim', 0))
    if name == 'SplitWithSizes':
        return 'split_with_sizes', (x, tuple(
            saved(grad_fn, 'split_sizes',
                  ()))), dict(dim=saved(grad_fn, 'dim', 0))
    if name == 'Slice':
        item = slice(
            saved(grad_fn, 'start'), saved(grad_fn, 'end'),
            saved(grad_fn, 'step', 1))
        idx = _index_at(saved(grad_fn, 'dim', 0), _ndim(x), item)
        return operator.getitem, (x, idx), {}
    if name == 'Select':
        idx = _index_at(
            saved(grad_fn, 'dim', 0), _ndim(x), saved(grad_fn, 'index', 0))
        return operator.getitem, (x, idx), {}
    if name in REDUCE_OPS:
        dim = saved(grad_fn, 'dim')
        if dim is None or dim == ():
            return REDUCE_OPS[name], (x, ), {}
        keepdim = bool(saved(grad_fn, 'keepdim', False))
        return REDUCE_OPS[name], (x, dim, keepdim), {}
    if name in ('Softmax', 'LogSoftmax'):
        target = 'softmax' if name == 'Softmax' else 'log_softmax'
        return target, (x, saved(grad_fn, 'dim')), {}
    if name == 'AsStrided' and x is not None and _shape(x) == tuple(out_shape):
        # a restride to the same shape (e.g. after an adaptive pooling)
        return 'clone', (x, ), {}
    if name == 'ConstantPadNd':
        return 'pad', (x, tuple(saved(grad_fn, 'pad', ()))), {}
    # an op the rule table keeps channels through (one entry there serves
    # both tracers): ``SeluBackward0`` -> ``selu``
    from mmrazor.structures.graph.channel_rules import CHANNEL_RULES
    snake = _CAMEL.sub('_', name).lower()
    if CHANNEL_RULES.function_rule(snake) == 'pass':
        return snake, (x, ), {}
    # unknown: the class name is reported by the channel analysis
    return type(grad_fn).__name__, tuple(present), {}


__all__ = [
    'PASS_OPS', 'BINARY_OPS', 'RESHAPE_OPS', 'REDUCE_OPS', 'op_name', 'saved',
    'output_shapes', 'output_dtypes', 'parse_grad_fn'
]
