# Copyright (c) OpenMMLab. All rights reserved.
"""Channel dependency analysis on a :class:`ModuleGraph`.

Every op maps the channels of its inputs onto its outputs
(:class:`ChannelTensor`, whole arrays of channel ids at once). Channel ops
(Conv, Linear, norms) record which channels they consume and produce; at
the end, channels that always appear together in the same records form a
unit (computed with vectorised numpy passes). Ops whose channel behaviour is
unknown make the channels they touch non-prunable and are reported.

Beyond elementwise ops, reshapes, concat/split and pooling, this follows
channel shuffles (a view splitting the channels into ``(groups, C //
groups)``, a transpose and a view merging them back: the groups are tied
position by position and a consumer takes ``groups`` inputs per unit
channel), group convs and GroupNorm (whole groups are pruned: the
channels of a group are tied, and a conv's input group i is its output
group i), channel LayerNorms
(``LayerNorm2d``) and ``nn.MultiheadAttention`` (its embed dims are kept:
there is no dynamic op for it).
"""
import math
import operator
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from torch import Tensor, nn

from .channel_rules import CHANNEL_RULES
from .channel_tensor import EMPTY_IDS, ChannelSpace, ChannelTensor
from .module_graph import ModuleGraph, ModuleNode

# the name sets of the rule table (kept for the code that reads them)
_PASS_FUNCS = CHANNEL_RULES.functions_of('pass')
_BINARY_FUNCS = CHANNEL_RULES.functions_of('binary')
_RESHAPE_FUNCS = CHANNEL_RULES.functions_of('reshape')
_REDUCE_FUNCS = CHANNEL_RULES.functions_of('reduce')
_PASS_MODULES = CHANNEL_RULES.module_types_of('pass')


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


class GroupedChannels(ChannelTensor):
    """Channels split over two adjacent dims by a view, e.g. the
    ``(N, groups, C // groups, H, W)`` view of a channel shuffle.

    ``grid[i, j]`` is the channel id at index ``(i, j)`` of dims
    ``(gdim, gdim + 1)``. Only views that merge the two dims back,
    transposes of them and copies are followed; any other op on such a
    tensor is unsupported. ``dim`` is None (no single channel dim) and
    ``elems`` holds every id (for marking).
    """

    __slots__ = ('grid', 'gdim')

    def __init__(self, grid: np.ndarray, gdim: int, shape: tuple,
                 space: ChannelSpace) -> None:
        super().__init__(grid.reshape(-1), None, shape, space)
        self.grid = grid
        self.gdim = gdim


def _view_sizes(node: ModuleNode) -> Optional[List[Any]]:
    """The size arguments of a ``view``/``reshape`` call (ints, -1 or
    nodes), None when they are not given one by one or as a tuple."""
    args = list(node.args[1:])
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = list(args[0])
    if not args:
        args = node.kwargs.get('shape', node.kwargs.get('size'))
    return list(args) if isinstance(args, (list, tuple)) else None


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
        self.space = ChannelSpace()
        # (module path, is_output) -> channel ids
        self.records: 'OrderedDict[Tuple[str, bool], np.ndarray]' = \
            OrderedDict()
        self.record_modules: Dict[str, nn.Module] = {}
        self.unsupported: List[Dict[str, str]] = []

    # ------------------------------------------------------------------ utils
    def _ct(self, elems: np.ndarray, dim: Optional[int],
            shape: tuple) -> ChannelTensor:
        return ChannelTensor(elems, dim, shape, self.space)

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
            return ChannelTensor.fresh(self.space, tuple(value.shape), dim,
                                       reason)
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
                elems: np.ndarray) -> None:
        key = (path, is_output)
        self.record_modules[path] = module
        if key in self.records:
            old = self.records[key]
            if len(old) == len(elems):
                self.space.union(old, elems)
            else:
                reason = f'{path}: shared module with different shapes'
                self.space.mark(old, reason)
                self.space.mark(elems, reason)
        else:
            self.records[key] = elems

    def _input_elems(self, node: ModuleNode, x: Any, dim: int, num: int,
                     what: str) -> np.ndarray:
        """Channel ids of dim ``dim`` of input ``x`` (fresh and marked when
        they are not tracked)."""
        if isinstance(x, ChannelTensor) and x.dim is not None and \
                _norm_dim(x.dim, len(x.shape)) == _norm_dim(
                    dim, len(x.shape)) and len(x.elems) == num:
            return x.elems
        reason = f'{node.name}: {what} input channels are not tracked'
        if isinstance(x, ChannelTensor):
            x.mark(reason)
        return self.space.new(num, reason)

    def _union_prefix(self, a: np.ndarray, b: np.ndarray) -> None:
        # like zip(): the common prefix is tied
        n = min(len(a), len(b))
        self.space.union(a[:n], b[:n])

    def _pass(self, x: Any, value: Any, node: ModuleNode) -> Any:
        if not isinstance(value, Tensor):
            return self._fresh_like(value, None)
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return self._ct(EMPTY_IDS, None, tuple(value.shape))
        if value.dim() != len(x.shape) or \
                value.shape[x.dim] != len(x.elems):
            return self._unknown(
                node, f'shape changed from {tuple(x.shape)} to '
                f'{tuple(value.shape)} in a channel-preserving op')
        return self._ct(x.elems, x.dim, tuple(value.shape))

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
                return self._ct(EMPTY_IDS, None, tuple(node.value.shape))
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
        rule = CHANNEL_RULES.module_rule(m)
        if isinstance(x, GroupedChannels):
            if rule == 'pass' and isinstance(node.value, Tensor) and tuple(
                    node.value.shape) == x.shape:
                return GroupedChannels(x.grid, x.gdim, x.shape, self.space)
            if rule == 'flatten':
                return self._reshape(node, x)
            return self._unknown(
                node, f'{type(m).__name__} on channels split over two dims')
        if rule is None:
            return self._unknown(node,
                                 f'unsupported module {type(m).__name__}')
        if isinstance(rule, str):
            return getattr(self, '_module_' + rule)(node, m, path, x)
        return rule(self, node, m, path, x)

    # module rules (see channel_rules.py)
    def _module_conv(self, node, m, path: str, x) -> Any:
        return self._conv(node, m, path, x)

    def _module_linear(self, node, m, path: str, x) -> Any:
        return self._linear(node, m, path, x)

    def _module_batch_norm(self, node, m, path: str, x) -> Any:
        elems = self._input_elems(node, x, 1, m.num_features, type(m).__name__)
        self._record(path, m, False, elems)
        self._record(path, m, True, elems)
        return self._ct(elems, 1, tuple(node.value.shape))

    def _module_layer_norm(self, node, m, path: str, x) -> Any:
        from mmrazor.models.architectures.dynamic_ops import (
            DynamicLayerNorm, DynamicLayerNorm2d)
        from mmrazor.models.architectures.dynamic_ops.bricks import \
            dynamic_norm
        layer_norm_2d_classes = dynamic_norm.layer_norm_2d_classes
        dim = -1
        if type(m) in (DynamicLayerNorm2d, ) + layer_norm_2d_classes():
            # normalises dim 1 of (N, C, H, W) unless channel_last
            fmt = node.kwargs.get(
                'data_format',
                node.args[1] if len(node.args) > 1 else 'channel_first')
            dim = -1 if fmt == 'channel_last' else 1
        elif type(m) not in (nn.LayerNorm, DynamicLayerNorm):
            return self._unknown(
                node, f'unsupported LayerNorm subclass '
                f'{type(m).__name__} (may normalise another dim)')
        if len(m.normalized_shape) == 1 and (dim == -1
                                             or len(node.value.shape) == 4):
            n = m.normalized_shape[0]
            elems = self._input_elems(node, x, dim, n, 'LayerNorm')
            if dim == 1:
                self._record(path, m, False, elems)
                self._record(path, m, True, elems)
                return self._ct(elems, 1, tuple(node.value.shape))
            self._record(path, m, False, elems)
            self._record(path, m, True, elems)
            return self._ct(elems,
                            len(node.value.shape) - 1, tuple(node.value.shape))
        return self._unknown(node, 'LayerNorm over several dims')

    def _module_attention(self, node, m, path: str, x) -> Any:
        return self._attention(node, m)

    def _module_group_norm(self, node, m, path: str, x) -> Any:
        return self._group_norm(node, m, path, x)

    def _module_pass(self, node, m, path: str, x) -> Any:
        return self._pass(x, node.value, node)

    def _module_prelu(self, node, m, path: str, x) -> Any:
        if m.num_parameters == 1:
            return self._pass(x, node.value, node)
        return self._unknown(node, f'unsupported module {type(m).__name__}')

    def _module_flatten(self, node, m, path: str, x) -> Any:
        return self._reshape(node, x)

    def _module_softmax(self, node, m, path: str, x) -> Any:
        return self._softmax(node, x, m.dim)

    def _module_scale(self, node, m, path: str, x) -> Any:
        if sum(p.numel() for p in m.parameters()) <= 1:
            return self._pass(x, node.value, node)
        return self._unknown(node, f'unsupported module {type(m).__name__}')

    def _conv(self, node, m: nn.Conv2d, path: str, x) -> Any:
        in_elems = self._input_elems(node, x, 1, m.in_channels, 'conv')
        g = m.groups
        shape = tuple(node.value.shape)
        if g == 1:
            out_elems = self.space.new(m.out_channels)
        elif g == m.in_channels and g == m.out_channels:
            out_elems = in_elems  # depthwise: in and out channels are tied
        else:
            # grouped conv: whole groups are pruned. The channels of one
            # group are tied (one unit channel per group, expanded to the
            # group width in every record) and input group i is output
            # group i, so a unit keeps the same groups on both sides.
            out_elems = self.space.new(m.out_channels)
            in_g = in_elems.reshape(g, -1)
            out_g = out_elems.reshape(g, -1)
            for blocks in (in_g, out_g):
                self.space.union(
                    np.repeat(blocks[:, 0], blocks.shape[1] - 1),
                    blocks[:, 1:].reshape(-1))
            self.space.union(in_g[:, 0], out_g[:, 0])
        self._record(path, m, False, in_elems)
        self._record(path, m, True, out_elems)
        return self._ct(out_elems, 1, shape)

    def _group_norm(self, node, m: nn.GroupNorm, path: str, x) -> Any:
        """GroupNorm prunes whole groups: the channels of a group are tied
        (one unit channel per group)."""
        elems = self._input_elems(node, x, 1, m.num_channels, 'GroupNorm')
        if m.num_groups == 1:
            self.space.mark(
                elems, f'{node.name}: GroupNorm with one group normalises '
                'all channels together')
        else:
            blocks = elems.reshape(m.num_groups, -1)
            self.space.union(
                np.repeat(blocks[:, 0], blocks.shape[1] - 1),
                blocks[:, 1:].reshape(-1))
        self._record(path, m, False, elems)
        self._record(path, m, True, elems)
        return self._ct(elems, 1, tuple(node.value.shape))

    def _attention(self, node, m: nn.MultiheadAttention) -> Any:
        """``nn.MultiheadAttention``: consumes and produces ``embed_dim``
        channels on the last dim; there is no dynamic op for it, so they
        are kept (marked)."""
        reason = (f'{node.name}: MultiheadAttention keeps its embed dims '
                  '(no dynamic op)')
        names = ('query', 'key', 'value')
        sizes = (m.embed_dim, m.kdim, m.vdim)
        for k, (name, num) in enumerate(zip(names, sizes)):
            arg = node.args[k] if len(node.args) > k else node.kwargs.get(name)
            info = self._get(arg)
            elems = self._input_elems(node, info, -1, num,
                                      'MultiheadAttention')
            self.space.mark(elems, reason)
        value = node.value
        outs = value if isinstance(value, (tuple, list)) else (value, )
        result = []
        for k, v in enumerate(outs):
            if k == 0 and isinstance(v, Tensor):
                result.append(
                    ChannelTensor.fresh(self.space, tuple(v.shape),
                                        v.dim() - 1, reason))
            else:
                result.append(self._fresh_like(v, reason))
        return tuple(result) if isinstance(value, (tuple, list)) else \
            result[0]

    def _linear(self, node, m: nn.Linear, path: str, x) -> Any:
        shape = tuple(node.value.shape)
        in_elems = self._input_elems(node, x, -1, m.in_features, 'Linear')
        out_elems = self.space.new(m.out_features)
        self._record(path, m, False, in_elems)
        self._record(path, m, True, out_elems)
        return self._ct(out_elems, len(shape) - 1, shape)

    # functions / methods
    def _visit_function(self, node: ModuleNode) -> Any:
        name = _name(node)
        value = node.value
        args = node.args
        x = self._get(args[0]) if args else None
        if isinstance(x, GroupedChannels) or any(
                isinstance(t, GroupedChannels)
                for t in _tensors_in(self._get(list(args[1:])))):
            return self._grouped_op(node, name, x)
        if node.target is operator.getitem:
            return self._getitem(node, x, args[1])
        if not _contains_tensor(value):
            return self._fresh_like(value, None)
        rule = CHANNEL_RULES.function_rule(name)
        if rule is None:
            return self._unknown(node, f'unsupported op `{name}`')
        if isinstance(rule, str):
            return getattr(self, '_function_' + rule)(node, name, x)
        return rule(self, node, name, x)

    # function rules (see channel_rules.py)
    def _function_pass(self, node, name: str, x) -> Any:
        args = node.args
        if name == 'pow' and len(args) > 1 and isinstance(args[1], ModuleNode):
            return self._binary(node)
        if x is None and not isinstance(args[0], ModuleNode):
            return self._unknown(node, f'{name} on a non-tensor')
        return self._pass(x, node.value, node)

    def _function_binary(self, node, name: str, x) -> Any:
        return self._binary(node)

    def _function_reshape(self, node, name: str, x) -> Any:
        return self._reshape(node, x)

    def _function_permute(self, node, name: str, x) -> Any:
        return self._permute(node, x, name)

    def _function_cat(self, node, name: str, x) -> Any:
        return self._cat(node)

    def _function_stack(self, node, name: str, x) -> Any:
        return self._stack(node)

    def _function_split(self, node, name: str, x) -> Any:
        return self._split(node, x)

    def _function_reduce(self, node, name: str, x) -> Any:
        return self._reduce(node, x)

    def _function_softmax(self, node, name: str, x) -> Any:
        args = node.args
        dim = node.kwargs.get('dim', args[1] if len(args) > 1 else None)
        return self._softmax(node, x, dim)

    def _function_expand(self, node, name: str, x) -> Any:
        return self._expand(node, x)

    def _function_pad(self, node, name: str, x) -> Any:
        args = node.args
        pad = node.kwargs.get('pad', args[1] if len(args) > 1 else ())
        if isinstance(x, ChannelTensor) and x.dim is not None and \
                isinstance(pad, (list, tuple)) and \
                len(pad) // 2 <= len(x.shape) - 1 - x.dim:
            return self._pass(x, node.value, node)
        return self._unknown(node, 'pad touching the channel dim')

    def _function_new(self, node, name: str, x) -> Any:
        return self._fresh_like(node.value, f'{node.name}: new tensor')

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
                value, None) if not isinstance(x, ChannelTensor) else self._ct(
                    EMPTY_IDS, None, tuple(value.shape))
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
                    if any(
                            isinstance(v, ModuleNode)
                            for v in (item.start, item.stop, item.step)):
                        # e.g. x[:, :x.shape[1] // 2]: where it cuts the
                        # pruned tensor is not known
                        return self._unknown(
                            node, 'slicing the channel dim at a computed '
                            'position')
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
        return self._ct(x.elems, new_dim, tuple(value.shape))

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
            return ChannelTensor.fresh(self.space, out_shape,
                                       1 if nd >= 2 else None)
        # aligned positions (broadcast from the right)
        pos = [o.dim + nd - len(o.shape) for o in tracked]
        main_i = max(range(len(tracked)), key=lambda i: len(tracked[i]))
        main, p = tracked[main_i], pos[main_i]
        result = main.elems
        for o, q in zip(tracked, pos):
            if o is main:
                continue
            if q == p and len(o.elems) == len(main.elems):
                self.space.union(main.elems, o.elems)
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
        return self._ct(result, p, out_shape)

    def _reshape(self, node, x) -> Any:
        value = node.value
        if isinstance(x, GroupedChannels):
            return self._merge_view(node, x)
        if not isinstance(x, ChannelTensor) or x.dim is None:
            return ChannelTensor.fresh(self.space, tuple(value.shape), None)
        if len(x.elems) == 0:
            return self._ct(EMPTY_IDS, None, tuple(value.shape))
        mapped = reshape_map(x.shape, x.dim, tuple(value.shape))
        if mapped is None:
            grouped = self._split_view(node, x)
            if grouped is not None:
                return grouped
            return self._unknown(
                node, f'reshape {tuple(x.shape)} -> {tuple(value.shape)} '
                'splits or interleaves the channels')
        new_dim, inner = mapped
        elems = x.elems if inner == 1 else np.repeat(x.elems, inner)
        return self._ct(elems, new_dim, tuple(value.shape))

    def _split_view(self, node, x: ChannelTensor) -> Optional[Any]:
        """A view splitting the channel dim ``C`` into two dims ``(A, B)``.

        At runtime the pruned tensor is split the same way: when ``A`` is
        a constant (``B`` computed from the size), every row ``A`` keeps
        the same positions, so the columns are tied; when ``B`` is the
        constant, rows are kept or pruned whole. Returns None when neither
        is known.
        """
        out = tuple(node.value.shape)
        d, shape = x.dim, x.shape
        if len(out) != len(shape) + 1 or out[:d] != shape[:d] or \
                out[d + 2:] != shape[d + 1:] or \
                out[d] * out[d + 1] != shape[d] or node.op == 'call_module':
            return None
        sizes = _view_sizes(node)
        if sizes is None or len(sizes) != len(out):
            return None

        def const(v):
            return isinstance(v, int) and v != -1

        rows, cols = out[d], out[d + 1]
        grid = x.elems.reshape(rows, cols)
        if const(sizes[d]) and not const(sizes[d + 1]):
            for r in range(1, rows):
                self.space.union(grid[0], grid[r])
        elif const(sizes[d + 1]) and not const(sizes[d]):
            for c in range(1, cols):
                self.space.union(grid[:, 0], grid[:, c])
        else:
            return None
        return GroupedChannels(grid, d, out, self.space)

    def _merge_view(self, node, x: GroupedChannels) -> Any:
        out = tuple(node.value.shape)
        g, shape = x.gdim, x.shape
        if len(out) == len(shape) - 1 and out[:g] == shape[:g] and \
                out[g] == shape[g] * shape[g + 1] and \
                out[g + 1:] == shape[g + 2:]:
            return self._ct(x.grid.reshape(-1), g, out)
        return self._unknown(
            node, f'reshape {shape} -> {out} of channels split over two '
            'dims')

    def _grouped_op(self, node, name: str, x: Any) -> Any:
        """Ops on a :class:`GroupedChannels` tensor."""
        value = node.value
        if isinstance(x, GroupedChannels) and isinstance(value, Tensor):
            if name in _RESHAPE_FUNCS:
                return self._reshape(node, x)
            if name in ('permute', 'transpose', 'transpose_', 'swapaxes'):
                return self._permute(node, x, name)
            if name in ('contiguous', 'clone', 'detach', 'float', 'to') \
                    and tuple(value.shape) == x.shape:
                return GroupedChannels(x.grid, x.gdim, x.shape, self.space)
        return self._unknown(node, f'{name} on channels split over two dims')

    def _permute(self, node, x, name) -> Any:
        value = node.value
        if isinstance(x, GroupedChannels):
            return self._permute_grouped(node, x, name)
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
        return self._check(node, self._ct(x.elems, new, tuple(value.shape)))

    def _permute_grouped(self, node, x: GroupedChannels, name) -> Any:
        nd = len(x.shape)
        args = list(node.args[1:])
        try:
            if name == 'permute':
                dims = args[0] if len(args) == 1 and isinstance(
                    args[0], (list, tuple)) else args
                dims = [_norm_dim(int(i), nd) for i in dims]
                new_a, new_b = dims.index(x.gdim), dims.index(x.gdim + 1)
            else:
                a = args[0] if args else node.kwargs.get('dim0')
                b = args[1] if len(args) > 1 else node.kwargs.get('dim1')
                a, b = _norm_dim(int(a), nd), _norm_dim(int(b), nd)

                def move(d):
                    return b if d == a else (a if d == b else d)

                new_a, new_b = move(x.gdim), move(x.gdim + 1)
        except (TypeError, ValueError):
            return self._unknown(node, f'{name} with dynamic dims')
        shape = tuple(node.value.shape)
        if new_b == new_a + 1:
            return GroupedChannels(x.grid, new_a, shape, self.space)
        if new_a == new_b + 1:
            return GroupedChannels(x.grid.T, new_b, shape, self.space)
        return self._unknown(node,
                             f'{name} separates channels split over two dims')

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
            infos = self._align_cat(node, infos, dim)
            if infos is None:
                return self._unknown(
                    node, 'cat of tensors with different '
                    'channel dims')
        if dim == infos[0].dim:
            elems = np.concatenate([i.elems for i in infos])
            return self._ct(elems, dim, tuple(value.shape))
        for i in infos[1:]:
            self._union_prefix(infos[0].elems, i.elems)
        return self._ct(infos[0].elems, infos[0].dim, tuple(value.shape))

    def _align_cat(self, node, infos: List[Any],
                   dim: int) -> Optional[List[ChannelTensor]]:
        """Inputs of a cat along a non-channel dim where some inputs (e.g.
        a class token parameter) have no or another tracked dim: when the
        others agree on the channel dim ``d``, those get new ids for dim
        ``d``, marked (their channels are unknown), and are tied to the
        others like any cat along a non-channel dim."""
        if not all(isinstance(i, ChannelTensor) for i in infos):
            return None
        dims = {i.dim for i in infos if i.dim is not None and i.dim != dim}
        if len(dims) != 1:
            return None
        d = dims.pop()
        size = {i.shape[d] for i in infos if i.dim == d}
        if len(size) != 1 or any(
                len(i.shape) != len(infos[0].shape) or i.shape[d] not in size
                for i in infos):
            return None
        reason = f'{node.name}: cat with a tensor of unknown channels'
        out = []
        for i in infos:
            if i.dim == d:
                out.append(i)
            else:
                i.mark(reason)
                out.append(ChannelTensor.fresh(self.space, i.shape, d, reason))
        return out

    def _stack(self, node) -> Any:
        value = node.value
        infos, dim = self._cat_args(node)
        if isinstance(dim, ModuleNode) or not all(
                isinstance(i, ChannelTensor) and i.dim is not None
                and i.dim == infos[0].dim for i in infos):
            return self._unknown(node, 'stack of untracked tensors')
        dim = _norm_dim(dim, value.dim())
        for i in infos[1:]:
            self._union_prefix(infos[0].elems, i.elems)
        d = infos[0].dim
        new = d + 1 if dim <= d else d
        return self._check(node,
                           self._ct(infos[0].elems, new, tuple(value.shape)))

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
                    self.space.union(x.elems[:n], x.elems[k * n:(k + 1) * n])
            else:
                x.mark(f'{node.name}: split into fixed sizes {sizes} along '
                       'the channel dim')
        for v in value:
            if dim == x.dim:
                n = v.shape[dim]
                outs.append(
                    self._ct(x.elems[start:start + n], dim, tuple(v.shape)))
                start += n
            else:
                outs.append(self._ct(x.elems, x.dim, tuple(v.shape)))
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
            return self._ct(EMPTY_IDS, None, tuple(out_val.shape))
        if isinstance(dim, ModuleNode):
            return self._unknown(node, 'reduction over a dynamic dim')
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_norm_dim(int(d), nd) for d in dims]
        if x.dim in dims:
            reason = f'{node.name}: reduction over the channel dim'
            x.mark(reason)
            return self._fresh_like(value, reason)
        new = x.dim if keep else x.dim - sum(1 for d in dims if d < x.dim)
        ct = self._check(node, self._ct(x.elems, new, tuple(out_val.shape)))
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
            return self._ct(x.elems, new, tuple(value.shape))
        return self._unknown(node, 'expand/repeat along the channel dim')

    # ------------------------------------------------------------------ units
    def generate_units_config(self) -> Tuple[Dict[str, Dict], List[Dict]]:
        """Group the recorded channels into units.

        Channels (union-find components) that appear in exactly the same
        records form one group; a group is a unit when, in every record,
        its channels are contiguous and in the same order, a Conv/Linear
        produces them, an op consumes them and nothing marked them.

        The records are handled as runs of consecutive component labels
        (a conv's output channels, tied by a residual add, are one run in
        every record that holds them), cut at every run boundary into
        elementary label intervals: all labels of an interval are in the
        same records, so the grouping, ordering and contiguity checks
        work on intervals instead of channels.

        Returns:
            tuple: ``(units, rejected)``. ``units`` maps unit names to
            ``{'init_args': {'num_channels'}, 'channels': {...}}`` for the
            prunable units; ``rejected`` lists ``{'unit', 'reasons'}`` for
            channel groups that must keep all their channels.
        """
        units: Dict[str, Dict] = OrderedDict()
        rejected: List[Dict] = []
        keys = list(self.records.keys())
        arrays = [self.records[k] for k in keys]
        lens = np.fromiter((len(a) for a in arrays),
                           dtype=np.int64,
                           count=len(arrays))
        if not keys or not lens.sum():
            return units, rejected
        nrec = len(keys)
        comp = self.space.resolve()
        lab = comp[np.concatenate(arrays)]
        num = len(lab)
        offs = np.zeros(nrec + 1, dtype=np.int64)
        np.cumsum(lens, out=offs[1:])
        # runs: stretches of one record whose labels step by one
        brk = np.empty(num, dtype=bool)
        brk[0] = True
        np.not_equal(lab[1:] - lab[:-1], 1, out=brk[1:])
        brk[offs[:-1][lens > 0]] = True
        r_start = np.flatnonzero(brk)
        r_len = np.diff(np.append(r_start, num))
        r_lab = lab[r_start]
        r_rec = np.searchsorted(offs, r_start, side='right') - 1
        # elementary label intervals between all run boundaries
        is_cut = np.zeros(len(comp) + 1, dtype=bool)
        is_cut[r_lab] = True
        is_cut[r_lab + r_len] = True
        cuts = np.flatnonzero(is_cut)
        c0 = np.searchsorted(cuts, r_lab)
        cnt = np.searchsorted(cuts, r_lab + r_len) - c0
        # pieces: a run cut at the interval boundaries (one interval each)
        p_run = np.repeat(np.arange(len(r_start)), cnt)
        p_e = c0[p_run] + np.arange(len(p_run)) - np.repeat(
            np.cumsum(cnt) - cnt, cnt)
        p_shift = cuts[p_e] - r_lab[p_run]
        p_glob = r_start[p_run] + p_shift  # entry index of the piece start
        p_rec = r_rec[p_run]
        p_pos = p_glob - offs[p_rec]
        p_len = cuts[p_e + 1] - cuts[p_e]
        # the record set of every interval; intervals with the same set
        # form a group
        pairs = np.unique(p_e * nrec + p_rec)
        used, pe_c = np.unique(pairs // nrec, return_inverse=True)
        u_gid, ngroups = _record_set_groups(pairs, pe_c.reshape(-1), len(used),
                                            nrec)
        e_gid = np.full(len(cuts), -1, dtype=np.int64)
        e_gid[used] = u_gid
        e_len = (cuts[1:] - cuts[:-1])
        # first entry of every interval; the components of a group are
        # ordered by their first entry
        e_first = np.full(len(cuts), num, dtype=np.int64)
        np.minimum.at(e_first, p_e, p_glob)
        u_first = e_first[used]
        order = np.lexsort((u_first, u_gid))
        o_len = e_len[used[order]]
        gsize = np.bincount(
            u_gid, weights=e_len[used], minlength=ngroups).astype(np.int64)
        csum = np.cumsum(o_len) - o_len
        gstart = np.cumsum(gsize) - gsize
        e_rank = np.zeros(len(cuts), dtype=np.int64)
        e_rank[used[order]] = csum - gstart[u_gid[order]]
        gfirst = np.full(ngroups, num, dtype=np.int64)
        np.minimum.at(gfirst, u_gid, u_first)
        greasons = self._group_mark_reasons(comp, cuts, e_gid)
        # segments: the pieces of one group in one record; a segment is
        # fine when its pieces are contiguous, a multiple k of the group
        # size wide, and position p holds the group's channel
        # (p - start) // k (a piece of a step-one run: rank + t at
        # p + t)
        p_gid = e_gid[p_e]
        porder = np.lexsort((p_pos, p_rec, p_gid))
        g_p, r_p = p_gid[porder], p_rec[porder]
        pos_p, len_p = p_pos[porder], p_len[porder]
        rank_p = e_rank[p_e[porder]]
        npieces = len(porder)
        cut = np.flatnonzero((g_p[1:] != g_p[:-1]) | (r_p[1:] != r_p[:-1])) + 1
        seg_a = np.concatenate(([0], cut))
        seg_b = np.append(cut, npieces)
        seg_start = pos_p[seg_a]
        seg_end = pos_p[seg_b - 1] + len_p[seg_b - 1]
        width = seg_end - seg_start
        seg_n = gsize[g_p[seg_a]]
        seg_ok = (width == np.add.reduceat(len_p, seg_a)) & \
            (width % seg_n == 0)
        k_seg = np.maximum(width // seg_n, 1)
        reps = seg_b - seg_a
        q = pos_p - np.repeat(seg_start, reps)
        k_p = np.repeat(k_seg, reps)
        good = (rank_p == q // k_p) & ((len_p == 1) | (k_p == 1) |
                                       ((len_p == 2) & ((q + 1) % k_p == 0)))
        seg_ok &= np.logical_and.reduceat(good, seg_a)
        gsize_l = gsize.tolist()
        # per group: [(rec, start, end, ok)] in record order
        segs: List[List[tuple]] = [[] for _ in range(ngroups)]
        for g, r, start, end, ok in zip(g_p[seg_a].tolist(),
                                        r_p[seg_a].tolist(),
                                        seg_start.tolist(), seg_end.tolist(),
                                        seg_ok.tolist()):
            segs[g].append((r, start, end, ok))
        for g in np.argsort(gfirst, kind='stable').tolist():
            n = gsize_l[g]
            reasons: List[str] = []
            channels: Dict[str, List[Dict]] = dict(
                input_related=[], output_related=[])
            for r, start, end, ok in segs[g]:
                path, is_out = keys[r]
                if not ok:
                    reasons.append(f'{path}: channels of the group are not '
                                   'contiguous / in the same order')
                entry = dict(
                    name=path, start=start, end=end, is_output_channel=is_out)
                channels['output_related'
                         if is_out else 'input_related'].append(entry)
            for reason in greasons.get(g, ()):
                if reason not in reasons:
                    reasons.append(reason)
            first_c = (channels['output_related']
                       or channels['input_related'])[0]
            name = (f"{first_c['name']}_"
                    f"{(first_c['start'], first_c['end'])}_{n}")
            producers = [
                c for c in channels['output_related']
                if isinstance(self.record_modules[c['name']], (
                    nn.Conv2d, nn.ConvTranspose2d, nn.Linear))
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

    def _group_mark_reasons(self, comp: np.ndarray, cuts: np.ndarray,
                            e_gid: np.ndarray) -> Dict[int, List[str]]:
        """The mark reasons of every group, in the order they were made
        (``cuts``/``e_gid``: the elementary label intervals and their
        groups, -1 for labels in no record)."""
        out: Dict[int, List[str]] = defaultdict(list)
        for ids, reason in self.space.marks:
            e = np.searchsorted(cuts, comp[ids], side='right') - 1
            e = e[(e >= 0) & (e < len(cuts) - 1)]
            touched = np.unique(e_gid[e])
            for g in touched[touched >= 0].tolist():
                lst = out[g]
                if reason not in lst and len(lst) < 8:
                    lst.append(reason)
        return out


_WEIGHTS = np.empty(0, dtype=np.uint64)


def _record_weights(nrec: int) -> np.ndarray:
    """``nrec`` fixed random 64-bit weights (drawn once, grown as
    needed)."""
    global _WEIGHTS
    if len(_WEIGHTS) < nrec:
        _WEIGHTS = np.random.default_rng(0).integers(
            0,
            2**64 - 1,
            max(nrec, 2 * len(_WEIGHTS), 1024),
            dtype=np.uint64,
            endpoint=True)
    return _WEIGHTS[:nrec]


# the first draw at import (a first analysis would pay for the generator)
_record_weights(1)


def _record_set_groups(pairs: np.ndarray, comp: np.ndarray, ncomp: int,
                       nrec: int) -> Tuple[np.ndarray, int]:
    """Group items by the set of records they appear in.

    Args:
        pairs (np.ndarray): Sorted unique ``item * nrec + record`` keys.
        comp (np.ndarray): Compact item index (0 .. ncomp-1) of each pair.
        ncomp (int): Number of items.
        nrec (int): Number of records.

    Returns:
        tuple: ``(gid, ngroups)``, the group of every item.
    """
    rec = pairs % nrec
    cnt = np.bincount(comp, minlength=ncomp)
    # hash of the record set, verified exactly below
    weights = _record_weights(nrec)
    hashed = np.zeros(ncomp, dtype=np.uint64)
    np.add.at(hashed, comp, weights[rec])
    hashed ^= cnt.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    _, rep, gid = np.unique(hashed, return_index=True, return_inverse=True)
    gid = gid.reshape(-1)
    rep_of = rep[gid]
    if np.array_equal(cnt, cnt[rep_of]):
        # every record of an item is a record of its representative
        start = np.cumsum(cnt) - cnt
        item_of = (pairs // nrec)
        first_item = item_of[start]  # the (sorted) item key of each item
        want = first_item[rep_of[comp]] * nrec + rec
        found = np.searchsorted(pairs, want)
        found = np.minimum(found, len(pairs) - 1)
        if np.array_equal(pairs[found], want):
            return gid, len(rep)
    # exact grouping (a hash collision)
    bounds = (np.cumsum(cnt) - cnt).tolist() + [len(pairs)]
    rec_l = rec.tolist()
    sig_gid: Dict[tuple, int] = {}
    out = []
    for i in range(ncomp):
        sig = tuple(rec_l[bounds[i]:bounds[i + 1]])
        out.append(sig_gid.setdefault(sig, len(sig_gid)))
    return np.array(out, dtype=np.int64), len(sig_gid)


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
