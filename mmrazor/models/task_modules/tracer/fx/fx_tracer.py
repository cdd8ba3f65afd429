# Copyright (c) OpenMMLab. All rights reserved.
"""FX tracer used by the channel analysis."""
import importlib
import math
import os.path as osp
import sys
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import torch
import torch.fx as fx
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class UntraceableModelError(RuntimeError):
    """FX could not trace a model (names the first untraceable call)."""


def _import_obj(path: Union[str, Callable]) -> Any:
    if not isinstance(path, str):
        return path
    mod, _, name = path.rpartition('.')
    try:
        return getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError) as e:
        raise ValueError(f'can not import `{path}`: {e}') from e


class FxTracer(fx.Tracer):
    """``torch.fx`` tracer whose leaves are the channel ops.

    Leaf modules are dynamic ops, Conv, Linear, norms, mmcv ``Scale`` and
    every ``torch.nn`` module (except containers), plus ``leaf_module``.

    Args:
        autowrap_modules (tuple): Modules whose functions are wrapped.
            Defaults to ``(math, )``.
        autowrap_functions (Sequence): Functions (or 'pkg.mod.fn' strings)
            recorded as single ops instead of being traced.
        param_shapes_constant (bool): See ``torch.fx.Tracer``.
        leaf_module (Sequence): Module classes, class names or module paths
            treated as opaque leaves.
    """

    # yapf: disable
    def __init__(self,
                 autowrap_modules: tuple = (math, ),
                 autowrap_functions: Sequence = (),
                 param_shapes_constant: bool = False,
                 leaf_module: Sequence = ()) -> None:
        # yapf: enable
        funcs = tuple(_import_obj(f) for f in autowrap_functions)
        super().__init__(
            autowrap_modules=tuple(autowrap_modules),
            autowrap_functions=funcs,
            param_shapes_constant=param_shapes_constant)
        self.leaf_names = {x for x in leaf_module if isinstance(x, str)}
        self.leaf_classes = tuple(
            x for x in leaf_module if isinstance(x, type))
        self.module_path_stack: List[str] = []
        self.failed_module_path: Optional[str] = None

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        from mmrazor.models.architectures.dynamic_ops import DynamicMixin
        if isinstance(m, DynamicMixin) and not isinstance(m, nn.Sequential):
            return True
        leaf_types = (nn.Conv2d, nn.Linear, _BatchNorm, nn.LayerNorm,
                      nn.GroupNorm)
        if isinstance(m, leaf_types):
            return True
        if type(m).__name__ == 'Scale':
            return True
        if module_qualified_name in self.leaf_names or \
                type(m).__name__ in self.leaf_names or \
                (self.leaf_classes and isinstance(m, self.leaf_classes)):
            return True
        return super().is_leaf_module(m, module_qualified_name)

    def trace(self,
              root: Union[nn.Module, Callable],
              concrete_args: Optional[Dict[str, Any]] = None) -> fx.Graph:
        """``torch.fx.Tracer.trace``; a module is traced by swapping the
        classes of its module instances rather than patching
        ``nn.Module`` (see :mod:`.instance_patching`), when that applies.
        """
        if isinstance(root, nn.Module):
            from .instance_patching import trace_patching_instances
            graph = trace_patching_instances(self, root, concrete_args)
            if graph is not None:
                return graph
        return super().trace(root, concrete_args)

    def create_node(self, *args, **kwargs) -> fx.Node:
        """``Tracer.create_node``, keeping only the innermost entry of
        ``meta['nn_module_stack']`` (all the channel analysis reads)
        instead of a copy of the whole stack per node."""
        stack = self.module_stack
        if not stack:
            return super().create_node(*args, **kwargs)
        self.module_stack = {}
        try:
            node = super().create_node(*args, **kwargs)
        finally:
            self.module_stack = stack
        if 'nn_module_stack' not in node.meta:
            from .instance_patching import original_class
            last = next(reversed(stack))
            path, cls = stack[last]
            node.meta['nn_module_stack'] = {last: (path, original_class(cls))}
        return node

    def call_module(self, m: nn.Module, forward: Callable, args: tuple,
                    kwargs: Dict) -> Any:
        self.module_path_stack.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:  # noqa: BLE001  recorded, then re-raised
            # the innermost module the failure went through (the stack is
            # unwound by the time the error reaches the caller)
            if self.failed_module_path is None:
                self.failed_module_path = self.module_path_stack[-1]
            raise
        finally:
            self.module_path_stack.pop()


MMFxTracer = FxTracer


def _first_user_frame(tb) -> Optional[str]:
    frames = traceback.extract_tb(tb)
    torch_dir = osp.dirname(torch.__file__)
    user = [
        f for f in frames if not f.filename.startswith(torch_dir)
        and 'fx_tracer.py' not in f.filename
    ]
    if not user:
        return None
    f = user[-1]
    return f'{f.filename}:{f.lineno} in {f.name}: `{(f.line or "").strip()}`'


class TracedModule:
    """A traced graph with the module it runs on.

    Cheaper than a ``torch.fx.GraphModule`` (no copy of the module
    hierarchy, no generated code); enough for :class:`ValueRecorder` and
    ``ModuleGraph.init_from_fx_graph``.

    Args:
        root (nn.Module): The traced module.
        graph (torch.fx.Graph): Its graph.
    """

    def __init__(self, root: nn.Module, graph: fx.Graph) -> None:
        self.root = root
        self.graph = graph
        self._by_path: Optional[Dict[str, nn.Module]] = None

    def get_submodule(self, target: str) -> nn.Module:
        """The module a ``call_module`` node of the graph calls.

        The tracer names a module by its ``named_modules()`` path, so that
        mapping finds it (other targets walk the attributes).
        """
        if self._by_path is None:
            self._by_path = dict(self.root.named_modules())
        mod = self._by_path.get(target)
        if mod is not None:
            return mod
        from mmrazor.models.mutables.mutable_channel.units import channel_unit
        return _fetch_module(self.root, target, channel_unit.is_plain_child)


def trace_to_traced_module(root: nn.Module,
                           tracer: FxTracer,
                           concrete_args: Optional[Dict] = None,
                           prefix: str = '') -> TracedModule:
    """Trace ``root`` with ``tracer`` (see :func:`trace_to_graph_module`).

    Returns:
        TracedModule: The graph and ``tracer.root``.
    """
    graph = _trace(root, tracer, concrete_args, prefix)
    return TracedModule(tracer.root, graph)


def trace_to_graph_module(root: nn.Module,
                          tracer: FxTracer,
                          concrete_args: Optional[Dict] = None,
                          prefix: str = '') -> fx.GraphModule:
    """Trace ``root`` with ``tracer``.

    Raises:
        UntraceableModelError: Naming the module path and the source line
            of the first untraceable call and how to skip it.
    """
    graph = _trace(root, tracer, concrete_args, prefix)
    return fx.GraphModule(tracer.root, graph, type(root).__name__)


def _trace(root: nn.Module, tracer: FxTracer, concrete_args: Optional[Dict],
           prefix: str) -> fx.Graph:
    try:
        return tracer.trace(root, concrete_args=concrete_args)
    except Exception as e:  # noqa: BLE001  re-raised as UntraceableModelError
        where = _first_user_frame(sys.exc_info()[2]) or 'unknown location'
        path = tracer.failed_module_path or ''
        if prefix and path.startswith(prefix):
            path = path[len(prefix):]
        elif prefix and path == prefix.rstrip('.'):
            path = ''  # the model's own forward
        path = path.strip('.')
        if path:
            mod_desc = f'module `{path}`'
            skip = ('make the module an opaque leaf with '
                    f"ChannelAnalyzer(leaf_modules=['{path}']) (its "
                    'channels become non-prunable), ')
        else:
            mod_desc = 'the model forward'
            skip = ("use ChannelAnalyzer(tracer_type='BackwardTracer') "
                    '(no symbolic tracing), ')
        raise UntraceableModelError(
            f'torch.fx can not trace {type(root).__name__}: the first '
            f'untraceable call is in {mod_desc} at {where} '
            f'({type(e).__name__}: {e}). To skip it, {skip}or wrap the '
            "function with ChannelAnalyzer(autowrap_functions="
            "['pkg.module.func']).") from e


class ValueRecorder(fx.Interpreter):
    """Runs a GraphModule (or a :class:`TracedModule`) and keeps a meta
    copy of every node output.

    Args:
        gm (GraphModule | TracedModule): The traced model.
        shape_only_convs (bool): Give plain ``nn.Conv1d/2d/3d`` leaves
            zeros of their output shape instead of computing them (the
            channel analysis needs shapes, not values; convolutions are
            most of the compute). Input channels are still checked: a
            mismatch runs the real op, which raises. Defaults to False.
    """

    def __init__(self,
                 gm: Union[fx.GraphModule, TracedModule],
                 shape_only_convs: bool = False) -> None:
        if isinstance(gm, TracedModule):
            super().__init__(gm.root, graph=gm.graph)
            self._get_submodule = gm.get_submodule
        else:
            super().__init__(gm)
            self._get_submodule = None
        self.values: Dict[str, Any] = {}
        self.shape_only_convs = shape_only_convs

    def run_node(self, n: fx.Node) -> Any:
        out = super().run_node(n)
        self.values[n.name] = _to_meta(out)
        return out

    def run(self, *args) -> Any:
        """Run the graph on ``args`` and return its output.

        The same ops as ``torch.fx.Interpreter.run`` (its ``run_node`` per
        opcode), without its per-node bookkeeping.
        """
        if type(self).run_node is not ValueRecorder.run_node or \
                not _plain_codegen(self.graph):
            return super().run(*args)
        from mmrazor.models.mutables.mutable_channel.units import channel_unit
        is_plain_child = channel_unit.is_plain_child
        env: Dict[fx.Node, Any] = {}
        values = self.values
        shape_only = self.shape_only_convs
        get_submodule = self._get_submodule
        args_iter = iter(args)
        last_uses = self.user_to_last_uses if \
            self.garbage_collect_values else {}

        def load(a):
            return fx.node.map_arg(a, lambda n: env[n])

        for node in self.graph.nodes:
            op = node.op
            if op == 'placeholder':
                if node.target.startswith('*'):
                    out = list(args_iter)
                else:
                    try:
                        out = next(args_iter)
                    except StopIteration as e:
                        if not node.args:
                            raise RuntimeError(
                                'expected positional argument for '
                                f'parameter {node.target}, but one was '
                                'not passed in!') from e
                        out = node.args[0]
            elif op == 'get_attr':
                out = self.fetch_attr(node.target)
            elif op == 'call_module':
                mod = get_submodule(node.target) if get_submodule else \
                    _fetch_module(self.module, node.target, is_plain_child)
                args = load(node.args)
                out = None
                if shape_only and type(mod) in _PLAIN_CONVS and \
                        not node.kwargs:
                    out = _conv_zeros(mod, args)
                if out is None:
                    out = mod(*args, **load(node.kwargs))
            elif op == 'call_function':
                out = node.target(*load(node.args), **load(node.kwargs))
            elif op == 'call_method':
                self_obj, *rest = load(node.args)
                out = getattr(self_obj, node.target)(*rest,
                                                     **load(node.kwargs))
            elif op == 'output':
                out = load(node.args)[0]
                values[node.name] = _to_meta(out)
                return out
            else:
                raise RuntimeError(f'unknown fx opcode {op!r}')
            env[node] = out
            values[node.name] = _to_meta(out)
            for dead in last_uses.get(node, ()):
                del env[dead]
        return None


_PLAIN_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _conv_zeros(conv: nn.Module, args: tuple) -> Optional[torch.Tensor]:
    """Zeros of the output shape of a plain convolution on ``args``, or
    None when the real op should run (other arguments, a channel
    mismatch, an empty output: the real op raises the right error)."""
    if len(args) != 1 or not isinstance(args[0], torch.Tensor) or \
            conv.padding_mode != 'zeros':
        return None
    x = args[0]
    nd = len(conv.kernel_size)
    if x.dim() not in (nd + 1, nd + 2) or \
            x.shape[-nd - 1] != conv.in_channels:
        return None
    dtype = x.dtype if x.is_floating_point() else conv.weight.dtype
    return conv_output_zeros(x, conv.out_channels, conv.kernel_size,
                             conv.stride, conv.padding, conv.dilation, dtype)


def conv_output_zeros(
        x: torch.Tensor,
        out_channels: int,
        kernel_size: tuple,
        stride: tuple,
        padding: Union[tuple, str],
        dilation: tuple,
        dtype: Optional[torch.dtype] = None) -> Optional[torch.Tensor]:
    """Zeros shaped like the output of a zero-padded convolution of ``x``
    (its channel dim and the ``len(kernel_size)`` dims after it), or None
    when that output would be empty.

    Args:
        x (Tensor): The input.
        out_channels (int): Output channels.
        kernel_size, stride, dilation (tuple): Per spatial dim.
        padding (tuple | str): Per spatial dim, 'same' or 'valid'.
        dtype (torch.dtype, optional): Defaults to ``x.dtype``.

    Returns:
        Tensor | None: The zeros.
    """
    nd = len(kernel_size)
    if padding == 'same':
        spatial = list(x.shape[-nd:])
    else:
        pad = (0, ) * nd if padding == 'valid' else padding
        spatial = [(size + 2 * p - d * (k - 1) - 1) // s + 1 for size, p, d, k,
                   s in zip(x.shape[-nd:], pad, dilation, kernel_size, stride)]
    if min(spatial) <= 0:
        return None
    return x.new_zeros((*x.shape[:-nd - 1], out_channels, *spatial),
                       dtype=dtype or x.dtype)


def _plain_codegen(graph: fx.Graph) -> bool:
    """Whether the graph's outputs need no pytree processing."""
    return type(graph._codegen) is fx.graph.CodeGen


def _fetch_module(root: nn.Module, target: str,
                  is_plain_child: Callable) -> Any:
    """``Interpreter.fetch_attr(target)`` for a module path: walks the
    child dicts when every step is a plain child (``is_plain_child``, see
    ``channel_unit.is_plain_child``)."""
    mod = root
    for item in target.split('.'):
        sub = mod._modules.get(item)
        if sub is None or not is_plain_child(mod, item):
            mod = None
            break
        mod = sub
    if mod is not None:
        return mod
    obj = root
    for i, item in enumerate(target.split('.')):
        if not hasattr(obj, item):
            raise RuntimeError('Node referenced nonexistent target '
                               f"{'.'.join(target.split('.')[:i + 1])}")
        obj = getattr(obj, item)
    return obj


def _to_meta(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return torch.empty(v.shape, dtype=v.dtype, device='meta')
    if isinstance(v, tuple) and hasattr(v, '_fields'):
        return tuple(_to_meta(x) for x in v)
    if isinstance(v, (list, tuple)):
        return type(v)(_to_meta(x) for x in v)
    if isinstance(v, dict):
        return {k: _to_meta(x) for k, x in v.items()}
    if isinstance(v, (int, float, str, bool, type(None), torch.Size, slice)):
        return v
    return None
