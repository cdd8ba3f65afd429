# Copyright (c) OpenMMLab. All rights reserved.
"""Channel dependency analysis on a :class:`ModuleGraph`.

Every op maps the channels of its inputs onto its outputs
(:class:`ChannelTensor`). Channel ops (Conv, Linear, norms) record which
channels they consume and produce; at the end, channels that always appear
together in the same records form a unit. Ops whose channel behaviour is
unknown make the channels they touch non-prunable and are reported.
"""
import math
import operator
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Tuple

from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from .channel_tensor import ChannelElem, ChannelTensor
from .module_graph import ModuleGraph, ModuleNode

_PASS_FUNCS = {
    'relu', 'relu_', 'relu6', 'sigmoid', 'sigmoid_', 'tanh', 'tanh_', 'gelu',
    'silu', 'silu_', 'hardswish', 'hardswish_', 'hardsigmoid', 'hardtanh',
    'hardtanh_', 'leaky_relu', 'leaky_relu_', 'elu', 'elu_', 'selu', 'celu',
    'mish', 'softplus', 'dropout', 'dropout_', 'dropout1d', 'dropout2d',
    'dropout3d', 'alpha_dropout', 'feature_alpha_dropout', 'contiguous',
    'clone', 'float', 'half', 'double', 'to', 'detach', 'type', 'cpu', 'cuda',
    'interpolate', 'upsample', 'upsample_bilinear', 'upsample_nearest',
    'max_pool1d', 'max_pool2d', 'max_pool3d', 'avg_pool1d', 'avg_pool2d',
    'avg_pool3d', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d',
    'adaptive_avg_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d',
    'adaptive_max_pool3d', 'max_pool2d_with_indices', 'neg', 'exp', 'abs',
    'sqrt', 'rsqrt', 'clamp', 'clamp_', 'clip', 'sign', 'log', 'sin', 'cos',
    'erf', 'reciprocal', 'round', 'floor', 'ceil', 'relu6_', 'pow', 'square',
    'requires_grad_', 'type_as', 'nan_to_num', 'masked_fill', 'identity',
    'fill_', 'zero_', 'exp_', 'bernoulli_', 'floor_', 'stochastic_depth',
    'drop_path'
}
_BINARY_FUNCS = {
    'add', 'add_', 'iadd', 'sub', 'sub_', 'isub', 'rsub', 'mul', 'mul_',
    'imul', 'truediv', 'itruediv', 'div', 'div_', 'floordiv', 'maximum',
    'minimum'
}
_RESHAPE_FUNCS = {
    'view', 'reshape', 'flatten', 'squeeze', 'unsqueeze', 'squeeze_',
    'unsqueeze_', 'view_as', 'reshape_as'
}
_REDUCE_FUNCS = {
    'mean', 'sum', 'amax', 'amin', 'std', 'var', 'max', 'min', 'logsumexp',
    'norm', 'prod'
}
_PASS_MODULES = (nn.ReLU, nn.ReLU6, nn.SiLU, nn.GELU, nn.Sigmoid, nn.Tanh,
                 nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.LeakyReLU,
                 nn.ELU, nn.SELU, nn.CELU, nn.Mish, nn.Softplus, nn.Dropout,
                 nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
                 nn.Identity, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
                 nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
                 nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                 nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                 nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.Upsample,
                 nn.UpsamplingBilinear2d, nn.UpsamplingNearest2d, nn.ZeroPad2d,
                 nn.ReflectionPad2d, nn.ReplicationPad2d, nn.ConstantPad2d)


def _name(node: ModuleNode) -> str:
    t = node.target
    if isinstance(t, str):
        return t
    name = getattr(t, '__name__', str(t))
    return name.strip('_') if name.startswith('__') else name


def _tensors_in(obj: Any) -> List[Any]:
    out = []
    if isinstance(obj, ChannelTensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            out.extend(_tensors_in(o))
    elif isinstance(obj, dict):
        for o in obj.values():
            out.extend(_tensors_in(o))
    return out


def _norm_dim(dim: int, ndim: int) -> int:
    return dim + ndim if dim < 0 else dim


def reshape_map(in_shape: tuple, dim: int,
                out_shape: tuple) -> Optional[Tuple[int, int]]:
    """Where dim ``dim`` of ``in_shape`` goes in ``out_shape``.

    Returns:
        (new_dim, inner) when channel ``c`` occupies positions
        ``[c*inner, (c+1)*inner)`` of ``out_shape[new_dim]``; None when the
        reshape splits or interleaves the channels.
    """
    c = in_shape[dim]
    prefix = math.prod(in_shape[:dim])
    suffix = math.prod(in_shape[dim + 1:])
    acc = 1
    for j, s in enumerate(out_shape):
        if acc == prefix:
            if s == c:
                # a size-1 dim that happens to equal c=1 is ambiguous
                return j, 1
            if s > c and s % c == 0 and suffix % (s // c) == 0:
                return j, s // c
            if s != 1:
                return None
        acc *= s
        if acc > prefix and prefix != 0:
            return None
    return None


class ChannelGraph:
    """Propagates channels through a :class:`ModuleGraph`.

    Args:
        module_graph (ModuleGraph): The op graph with demo values.
        progress (bool): Show a progress bar. Defaults to False.
    """

    def __init__(self,
                 module_graph: ModuleGraph,
                 progress: bool = False) -> None:
        self.graph = module_graph
        self.progress = progress
        self.info: Dict[str, Any] = {}
        # (module path, is_output) -> list of ChannelElem
        self.records: 'OrderedDict[Tuple[str, bool], List[ChannelElem]]' = \
            OrderedDict()
        self.record_modules: Dict[str, nn.Module] = {}
        self.unsupported: List[Dict[str, str]] = []

    # ------------------------------------------------------------------ utils
    def _get(self, arg: Any) -> Any:
        if isinstance(arg, ModuleNode):
            return self.info.get(arg.name)
        if isinstance(arg, (list, tuple)):
            return type(arg)(self._get(a) for a in arg) if not \
                hasattr(arg, '_fields') else tuple(self._get(a) for a in arg)
        if isinstance(arg, dict):
            return {k: self._get(v) for k, v in arg.items()}
        return None

    def _fresh_like(self, value: Any, reason: Optional[str]) -> Any:
        if isinstance(value, Tensor):
            dim = 1 if value.dim() >= 2 else (0 if value.dim() == 1 else None)
            return ChannelTensor.fresh(tuple(value.shape), dim, reason)
        if isinstance(value, (list, tuple)):
            return tuple(self._fresh_like(v, reason) for v in value)
        if isinstance(value, dict):
            return {k: self._fresh_like(v, reason) for k, v in value.items()}
        return None

    def _unknown(self, node: ModuleNode, reason: str) -> Any:
        msg = f'{node.name}: {reason}'
        inputs = _tensors_in(self._get(list(node.args))) + \
            _tensors_in(self._get(dict(node.kwargs)))
        outputs = self._fresh_like(node.value, msg)
        if not inputs and not _tensors_in(outputs):
            return outputs
        for ct in inputs:
            ct.mark(msg)
        self.unsupported.append(
            dict(
                node=node.name,
                op=f'{node.op}:{node.target_name}',
                module=node.module_path,
                reason=reason))
        return outputs

    def _record(self, path: str, module: nn.Module, is_output: bool,
                elems: List[ChannelElem]) -> None:
        key = (path, is_output)
        self.record_modules[path] = module
        if key in self.records:
            old = self.records[key]
            if len(old) == len(elems):
                for a, b in zip(old, elems):
                    a.union(b)
            else:
                for e in old + elems:
                    e.mark(f'{path}: shared module with different shapes')
        else:
            self.records[key] = list(elems)

    def _input_elems(self, node: ModuleNode, x: Any, dim: int, num: int,
                     what: str) -> List[ChannelElem]:
        """Elements of dim ``dim`` of input ``x`` (fresh and marked when
        they are not tracked)."""
        if isinstance(x, ChannelTensor) and x.dim is not None and \
                _norm_dim(x.dim, len(x.shape)) == _norm_dim(
                    dim, len(x.shape)) and len(x.elems) == num:
            return x.elems
        reason = f'{node.name}: {what} input channels are not tracked'
        if isinstance(x, ChannelTensor):
            x.mark(reason)
        return [ChannelElem(reason) for _ in range(num)]

    def _pass(self, x: Any, value: Any, node: ModuleNode) -> Any:
        if not isinstance(value, Tensor):
            return self._fresh_like(value, None)
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return ChannelTensor([], None, tuple(value.shape))
        if value.dim() != len(x.shape) or \
                value.shape[x.dim] != len(x.elems):
            return self._unknown(
                node, f'shape changed from {tuple(x.shape)} to '
                f'{tuple(value.shape)} in a channel-preserving op')
        return ChannelTensor(x.elems, x.dim, tuple(value.shape))

    # -------------------------------------------------------------- propagate
    def propagate(self) -> 'ChannelGraph':
        """Run the channel propagation over every op.

        Returns:
            ChannelGraph: self.
        """
        nodes = self.graph.ops()
        iterator = nodes
        if self.progress:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(len(nodes))
        for node in iterator:
            self.info[node.name] = self._visit(node)
            if self.progress:
                bar.update()
        return self

    def _visit(self, node: ModuleNode) -> Any:
        if node.op == 'placeholder':
            return self._fresh_like(node.value, 'network input')
        if node.op == 'get_attr':
            if isinstance(node.value, Tensor):
                return ChannelTensor([], None, tuple(node.value.shape))
            return None
        if node.op == 'output':
            for ct in _tensors_in(self._get(list(node.args))):
                ct.mark('model output')
            return None
        if node.op == 'call_module':
            return self._visit_module(node)
        return self._visit_function(node)

    # modules
    def _visit_module(self, node: ModuleNode) -> Any:
        m = node.module
        x = self._get(node.args[0]) if node.args else None
        path = node.target if isinstance(node.target, str) else ''
        path = node.module_path or path
        if isinstance(m, nn.Conv2d):
            return self._conv(node, m, path, x)
        if isinstance(m, nn.Linear):
            return self._linear(node, m, path, x)
        if isinstance(m, _BatchNorm):
            elems = self._input_elems(node, x, 1, m.num_features,
                                      type(m).__name__)
            self._record(path, m, False, elems)
            self._record(path, m, True, elems)
            return ChannelTensor(elems, 1, tuple(node.value.shape))
        if isinstance(m, nn.LayerNorm):
            from mmrazor.models.architectures.dynamic_ops import \
                DynamicLayerNorm
            if type(m) not in (nn.LayerNorm, DynamicLayerNorm):
                return self._unknown(
                    node, f'unsupported LayerNorm subclass '
                    f'{type(m).__name__} (may normalise another dim)')
            if len(m.normalized_shape) == 1:
                n = m.normalized_shape[0]
                elems = self._input_elems(node, x, -1, n, 'LayerNorm')
                self._record(path, m, False, elems)
                self._record(path, m, True, elems)
                return ChannelTensor(elems,
                                     len(node.value.shape) - 1,
                                     tuple(node.value.shape))
            return self._unknown(node, 'LayerNorm over several dims')
        if isinstance(m, nn.GroupNorm):
            if isinstance(x, ChannelTensor):
                x.mark(f'{node.name}: GroupNorm ({m.num_groups} groups) '
                       'is not prunable')
            return self._pass(x, node.value, node)
        if isinstance(m, _PASS_MODULES):
            return self._pass(x, node.value, node)
        if isinstance(m, nn.PReLU) and m.num_parameters == 1:
            return self._pass(x, node.value, node)
        if isinstance(m, nn.Flatten):
            return self._reshape(node, x)
        if isinstance(m, (nn.Softmax, nn.LogSoftmax)):
            return self._softmax(node, x, m.dim)
        if type(m).__name__ == 'Scale' and \
                sum(p.numel() for p in m.parameters()) <= 1:
            return self._pass(x, node.value, node)
        return self._unknown(node, f'unsupported module {type(m).__name__}')

    def _conv(self, node, m: nn.Conv2d, path: str, x) -> Any:
        in_elems = self._input_elems(node, x, 1, m.in_channels, 'conv')
        g = m.groups
        shape = tuple(node.value.shape)
        if g == 1:
            out_elems = [ChannelElem() for _ in range(m.out_channels)]
        elif g == m.in_channels and g == m.out_channels:
            out_elems = in_elems  # depthwise: in and out channels are tied
        else:
            reason = (f'{node.name}: group conv (groups={g}, in='
                      f'{m.in_channels}, out={m.out_channels}) keeps its '
                      'channels')
            for e in in_elems:
                e.mark(reason)
            out_elems = [ChannelElem(reason) for _ in range(m.out_channels)]
        self._record(path, m, False, in_elems)
        self._record(path, m, True, out_elems)
        return ChannelTensor(out_elems, 1, shape)

    def _linear(self, node, m: nn.Linear, path: str, x) -> Any:
        shape = tuple(node.value.shape)
        in_elems = self._input_elems(node, x, -1, m.in_features, 'Linear')
        out_elems = [ChannelElem() for _ in range(m.out_features)]
        self._record(path, m, False, in_elems)
        self._record(path, m, True, out_elems)
        return ChannelTensor(out_elems, len(shape) - 1, shape)

    # functions / methods
    def _visit_function(self, node: ModuleNode) -> Any:
        name = _name(node)
        value = node.value
        args = node.args
        x = self._get(args[0]) if args else None
        if node.target is operator.getitem:
            return self._getitem(node, x, args[1])
        if not _contains_tensor(value):
            return self._fresh_like(value, None)
        if name in _PASS_FUNCS:
            if name == 'pow' and len(args) > 1 and isinstance(
                    args[1], ModuleNode):
                return self._binary(node)
            if x is None and not isinstance(args[0], ModuleNode):
                return self._unknown(node, f'{name} on a non-tensor')
            return self._pass(x, value, node)
        if name in _BINARY_FUNCS:
            return self._binary(node)
        if name in _RESHAPE_FUNCS:
            return self._reshape(node, x)
        if name in ('permute', 'transpose', 'transpose_', 't', 'swapaxes',
                    'movedim'):
            return self._permute(node, x, name)
        if name in ('cat', 'concat', 'concatenate'):
            return self._cat(node)
        if name == 'stack':
            return self._stack(node)
        if name in ('chunk', 'split', 'tensor_split', 'split_with_sizes'):
            return self._split(node, x)
        if name in _REDUCE_FUNCS:
            return self._reduce(node, x)
        if name in ('softmax', 'log_softmax'):
            dim = node.kwargs.get('dim', args[1] if len(args) > 1 else None)
            return self._softmax(node, x, dim)
        if name in ('expand', 'expand_as', 'repeat', 'broadcast_to'):
            return self._expand(node, x)
        if name == 'pad':
            pad = node.kwargs.get('pad', args[1] if len(args) > 1 else ())
            if isinstance(x, ChannelTensor) and x.dim is not None and \
                    isinstance(pad, (list, tuple)) and \
                    len(pad) // 2 <= len(x.shape) - 1 - x.dim:
                return self._pass(x, value, node)
            return self._unknown(node, 'pad touching the channel dim')
        if name in ('zeros_like', 'ones_like', 'empty_like', 'rand_like',
                    'randn_like', 'full_like', 'arange', 'zeros', 'ones',
                    'tensor', 'new_zeros', 'new_ones', 'new_full', 'new_empty',
                    'new_tensor'):
            return self._fresh_like(value, f'{node.name}: new tensor')
        return self._unknown(node, f'unsupported op `{name}`')

    def _getitem(self, node, x, idx) -> Any:
        value = node.value
        if isinstance(x, (list, tuple)):
            try:
                return x[idx] if not isinstance(idx, ModuleNode) else None
            except (IndexError, TypeError):
                return self._fresh_like(value, None)
        if isinstance(x, dict):
            return x.get(idx)
        if not isinstance(value, Tensor):
            return self._fresh_like(value, None)
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return self._fresh_like(
                value,
                None) if not isinstance(x, ChannelTensor) else ChannelTensor(
                    [], None, tuple(value.shape))
        items = idx if isinstance(idx, tuple) else (idx, )
        if any(isinstance(i, ModuleNode) for i in items):
            return self._unknown(node, 'indexing with a tensor')
        ndim = len(x.shape)
        n_real = sum(1 for i in items if i is not None and i is not ...)
        in_dim, out_dim, new_dim = 0, 0, None
        for item in items:
            if item is ...:
                skip = ndim - n_real
                if in_dim <= x.dim < in_dim + skip:
                    new_dim = out_dim + x.dim - in_dim
                in_dim += skip
                out_dim += skip
            elif item is None:
                out_dim += 1
            elif isinstance(item, int):
                if in_dim == x.dim:
                    return self._unknown(node, 'selecting one channel')
                in_dim += 1
            elif isinstance(item, slice):
                if in_dim == x.dim:
                    if item.indices(x.shape[x.dim]) != (0, x.shape[x.dim], 1):
                        return self._unknown(node, 'slicing the channel dim')
                    new_dim = out_dim
                in_dim += 1
                out_dim += 1
            else:
                return self._unknown(node, f'index {item!r}')
        if new_dim is None:
            if x.dim < in_dim:
                return self._unknown(node, 'index removes the channel dim')
            new_dim = out_dim + x.dim - in_dim
        if new_dim >= value.dim() or value.shape[new_dim] != len(x.elems):
            return self._unknown(node, 'could not follow the channel dim')
        return ChannelTensor(x.elems, new_dim, tuple(value.shape))

    def _binary(self, node) -> Any:
        value = node.value
        out_shape = tuple(value.shape)
        nd = len(out_shape)
        operands = []
        for a in list(node.args) + list(node.kwargs.values()):
            info = self._get(a) if isinstance(a, ModuleNode) else None
            if isinstance(info, ChannelTensor):
                operands.append(info)
        tracked = [o for o in operands if o.dim is not None]
        if not tracked:
            return ChannelTensor.fresh(out_shape, 1 if nd >= 2 else None)
        # aligned positions (broadcast from the right)
        pos = [o.dim + nd - len(o.shape) for o in tracked]
        main_i = max(range(len(tracked)), key=lambda i: len(tracked[i]))
        main, p = tracked[main_i], pos[main_i]
        result = main.elems
        for o, q in zip(tracked, pos):
            if o is main:
                continue
            if q == p and len(o.elems) == len(main.elems):
                for a, b in zip(main.elems, o.elems):
                    a.union(b)
            elif q == p and len(o.elems) == 1:
                continue
            else:
                # is o broadcast along p, and main along q?
                o_size = _size_at(o.shape, p, nd)
                m_size = _size_at(main.shape, q, nd)
                if o_size == 1 and m_size == 1:
                    continue
                reason = (f'{node.name}: elementwise op mixes channel dims '
                          f'{tuple(o.shape)} and {tuple(main.shape)}')
                main.mark(reason)
                o.mark(reason)
        for o in operands:
            if o.dim is None and _size_at(o.shape, p, nd) not in (None, 1):
                main.mark(f'{node.name}: elementwise op with a tensor of '
                          f'unknown channels {tuple(o.shape)}')
        if p >= nd or out_shape[p] != len(result):
            return self._unknown(node, 'broadcast changed the channel dim')
        return ChannelTensor(result, p, out_shape)

    def _reshape(self, node, x) -> Any:
        value = node.value
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return ChannelTensor.fresh(tuple(value.shape), None)
        if len(x.elems) == 0:
            return ChannelTensor([], None, tuple(value.shape))
        mapped = reshape_map(x.shape, x.dim, tuple(value.shape))
        if mapped is None:
            return self._unknown(
                node, f'reshape {tuple(x.shape)} -> {tuple(value.shape)} '
                'splits or interleaves the channels')
        new_dim, inner = mapped
        elems = x.elems if inner == 1 else \
            [e for e in x.elems for _ in range(inner)]
        return ChannelTensor(elems, new_dim, tuple(value.shape))

    def _permute(self, node, x, name) -> Any:
        value = node.value
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return self._fresh_like(value, None)
        nd = len(x.shape)
        args = list(node.args[1:])
        d = x.dim
        try:
            if name == 'permute':
                dims = args[0] if len(args) == 1 and isinstance(
                    args[0], (list, tuple)) else args
                dims = node.kwargs.get('dims', dims)
                dims = [_norm_dim(int(i), nd) for i in dims]
                new = dims.index(d)
            elif name == 't':
                new = 1 - d if nd == 2 else d
            else:
                a = args[0] if args else node.kwargs.get('dim0')
                b = args[1] if len(args) > 1 else node.kwargs.get('dim1')
                a, b = _norm_dim(int(a), nd), _norm_dim(int(b), nd)
                if name == 'movedim':
                    order = [i for i in range(nd) if i != a]
                    order.insert(b, a)
                    new = order.index(d)
                else:
                    new = b if d == a else (a if d == b else d)
        except (TypeError, ValueError):
            return self._unknown(node, f'{name} with dynamic dims')
        return self._check(node, ChannelTensor(x.elems, new,
                                               tuple(value.shape)))

    def _check(self, node, ct: ChannelTensor) -> Any:
        if ct.dim is None or (ct.dim < len(ct.shape)
                              and ct.shape[ct.dim] == len(ct.elems)):
            return ct
        return self._unknown(node, 'could not follow the channel dim')

    def _cat_args(self, node):
        tensors = node.args[0] if node.args else node.kwargs.get('tensors')
        dim = node.kwargs.get('dim', node.args[1] if len(node.args) > 1 else 0)
        infos = [self._get(t) for t in tensors]
        return infos, dim

    def _cat(self, node) -> Any:
        value = node.value
        infos, dim = self._cat_args(node)
        nd = value.dim()
        if isinstance(dim, ModuleNode):
            return self._unknown(node, 'cat along a dynamic dim')
        dim = _norm_dim(dim, nd)
        if not all(
                isinstance(i, ChannelTensor) and i.dim is not None
                and i.dim == infos[0].dim for i in infos):
            return self._unknown(
                node, 'cat of tensors with different '
                'channel dims')
        if dim == infos[0].dim:
            elems = [e for i in infos for e in i.elems]
            return ChannelTensor(elems, dim, tuple(value.shape))
        for i in infos[1:]:
            for a, b in zip(infos[0].elems, i.elems):
                a.union(b)
        return ChannelTensor(infos[0].elems, infos[0].dim, tuple(value.shape))

    def _stack(self, node) -> Any:
        value = node.value
        infos, dim = self._cat_args(node)
        if isinstance(dim, ModuleNode) or not all(
                isinstance(i, ChannelTensor) and i.dim is not None
                and i.dim == infos[0].dim for i in infos):
            return self._unknown(node, 'stack of untracked tensors')
        dim = _norm_dim(dim, value.dim())
        for i in infos[1:]:
            for a, b in zip(infos[0].elems, i.elems):
                a.union(b)
        d = infos[0].dim
        new = d + 1 if dim <= d else d
        return self._check(
            node, ChannelTensor(infos[0].elems, new, tuple(value.shape)))

    def _split(self, node, x) -> Any:
        value = node.value
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return self._fresh_like(value, None)
        dim = node.kwargs.get('dim', node.args[2] if len(node.args) > 2 else 0)
        if isinstance(dim, ModuleNode):
            return self._unknown(node, 'split along a dynamic dim')
        dim = _norm_dim(dim, len(x.shape))
        outs = []
        start = 0
        if dim == x.dim:
            sizes = [v.shape[dim] for v in value]
            if len(set(sizes)) == 1 and sum(sizes) == len(x.elems):
                # chunks split the *pruned* tensor evenly at runtime, so
                # position i of every chunk must be pruned alike
                n = sizes[0]
                for k in range(1, len(sizes)):
                    for i in range(n):
                        x.elems[i].union(x.elems[k * n + i])
            else:
                x.mark(f'{node.name}: split into fixed sizes {sizes} along '
                       'the channel dim')
        for v in value:
            if dim == x.dim:
                n = v.shape[dim]
                outs.append(
                    ChannelTensor(x.elems[start:start + n], dim,
                                  tuple(v.shape)))
                start += n
            else:
                outs.append(ChannelTensor(x.elems, x.dim, tuple(v.shape)))
        return tuple(outs)

    def _reduce(self, node, x) -> Any:
        value = node.value
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return self._fresh_like(value, None)
        nd = len(x.shape)
        dim = node.kwargs.get('dim',
                              node.args[1] if len(node.args) > 1 else None)
        keep = node.kwargs.get('keepdim',
                               node.args[2] if len(node.args) > 2 else False)
        out_val = value[0] if isinstance(value, (tuple, list)) else value
        if dim is None:
            return ChannelTensor([], None, tuple(out_val.shape))
        if isinstance(dim, ModuleNode):
            return self._unknown(node, 'reduction over a dynamic dim')
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_norm_dim(int(d), nd) for d in dims]
        if x.dim in dims:
            reason = f'{node.name}: reduction over the channel dim'
            x.mark(reason)
            return self._fresh_like(value, reason)
        new = x.dim if keep else x.dim - sum(1 for d in dims if d < x.dim)
        ct = self._check(node, ChannelTensor(x.elems, new,
                                             tuple(out_val.shape)))
        if isinstance(value, (tuple, list)):
            return (ct, ) + tuple(self._fresh_like(v, None) for v in value[1:])
        return ct

    def _softmax(self, node, x, dim) -> Any:
        if isinstance(x, ChannelTensor) and x.dim is not None and \
                dim is not None and not isinstance(dim, ModuleNode) and \
                _norm_dim(int(dim), len(x.shape)) == x.dim:
            x.mark(f'{node.name}: softmax over the channel dim')
        return self._pass(x, node.value, node)

    def _expand(self, node, x) -> Any:
        value = node.value
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return self._fresh_like(value, None)
        off = value.dim() - len(x.shape)
        new = x.dim + off
        if value.shape[new] == len(x.elems):
            return ChannelTensor(x.elems, new, tuple(value.shape))
        return self._unknown(node, 'expand/repeat along the channel dim')

    # ------------------------------------------------------------------ units
    def generate_units_config(self) -> Tuple[Dict[str, Dict], List[Dict]]:
        """Group the recorded channels into units.

        Returns:
            tuple: ``(units, rejected)``. ``units`` maps unit names to
            ``{'init_args': {'num_channels'}, 'channels': {...}}`` for the
            prunable units; ``rejected`` lists ``{'unit', 'reasons'}`` for
            channel groups that must keep all their channels.
        """
        keys = list(self.records.keys())
        occ: Dict[ChannelElem, List[Tuple[int, int]]] = defaultdict(list)
        for ri, key in enumerate(keys):
            for p, e in enumerate(self.records[key]):
                occ[e.root()].append((ri, p))
        groups: 'OrderedDict[frozenset, List[ChannelElem]]' = OrderedDict()
        for root, places in occ.items():
            sig = frozenset(ri for ri, _ in places)
            groups.setdefault(sig, []).append(root)
        units: Dict[str, Dict] = OrderedDict()
        rejected: List[Dict] = []
        for sig, roots in groups.items():
            ris = sorted(sig)
            n = len(roots)
            # occ[r] is filled in record order, so its first entry is the
            # first position of r in the first record of the group
            roots.sort(key=lambda r: occ[r][0][1])
            order = {r: i for i, r in enumerate(roots)}
            reasons: List[str] = []
            channels = dict(input_related=[], output_related=[])
            buckets: Dict[int, List[Tuple[int, int]]] = defaultdict(list)
            for r in roots:
                o = order[r]
                for rj, p in occ[r]:
                    buckets[rj].append((p, o))
            for ri in ris:
                path, is_out = keys[ri]
                pos = buckets[ri]
                pos.sort()
                start, end = pos[0][0], pos[-1][0] + 1
                width = end - start
                ok = width == len(pos) and width % n == 0
                if ok:
                    k = width // n
                    ok = all(o == (p - start) // k for p, o in pos)
                if not ok:
                    reasons.append(f'{path}: channels of the group are not '
                                   'contiguous / in the same order')
                entry = dict(
                    name=path, start=start, end=end, is_output_channel=is_out)
                channels['output_related'
                         if is_out else 'input_related'].append(entry)
            for r in roots:
                for reason in r.reasons:
                    if reason not in reasons:
                        reasons.append(reason)
            first = (channels['output_related']
                     or channels['input_related'])[0]
            name = f"{first['name']}_{(first['start'], first['end'])}_{n}"
            producers = [
                c for c in channels['output_related']
                if isinstance(self.record_modules[c['name']], (nn.Conv2d,
                                                               nn.Linear))
            ]
            if not producers:
                reasons.append('no Conv/Linear produces these channels')
            if not channels['input_related']:
                reasons.append('no op consumes these channels')
            if reasons:
                rejected.append(
                    dict(unit=name, num_channels=n, reasons=reasons[:6]))
                continue
            units[name] = dict(
                init_args=dict(num_channels=n), channels=channels)
        return units, rejected


def _size_at(shape: tuple, pos: int, nd: int) -> Optional[int]:
    i = pos - (nd - len(shape))
    if 0 <= i < len(shape):
        return shape[i]
    return None


def _contains_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_tensor(v) for v in value.values())
    return False


__all__ = ['ChannelGraph', 'reshape_map']
