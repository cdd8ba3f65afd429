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

    def __init__(
        self,
        autowrap_modules: tuple = (math, ),
        autowrap_functions: Sequence = (),
        param_shapes_constant: bool = False,
        leaf_module: Sequence = ()) -> None:
        funcs = tuple(_import_obj(f) for f in autowrap_functions)
        super().__init__(
            autowrap_modules=tuple(autowrap_modules),
            autowrap_functions=funcs,
            param_shapes_constant=param_shapes_constant)
        self.leaf_names = {x for x in leaf_module if isinstance(x, str)}
        self.leaf_classes = tuple(
            x for x in leaf_module if isinstance(x, type))
        self.module_path_stack: List[str] = []

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        from mmrazor.models.architectures.dynamic_ops import DynamicMixin
        if isinstance(m, DynamicMixin) and not isinstance(m, nn.Sequential):
            return True
        if isinstance(
                m,
            (nn.Conv2d, nn.Linear, _BatchNorm, nn.LayerNorm, nn.GroupNorm)):
            return True
        if type(m).__name__ == 'Scale':
            return True
        if module_qualified_name in self.leaf_names or \
                type(m).__name__ in self.leaf_names or \
                (self.leaf_classes and isinstance(m, self.leaf_classes)):
            return True
        return super().is_leaf_module(m, module_qualified_name)

    def call_module(self, m: nn.Module, forward: Callable, args: tuple,
                    kwargs: Dict) -> Any:
        self.module_path_stack.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
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


def trace_to_graph_module(root: nn.Module,
                          tracer: FxTracer,
                          concrete_args: Optional[Dict] = None,
                          prefix: str = '') -> fx.GraphModule:
    """Trace ``root`` with ``tracer``.

    Raises:
        UntraceableModelError: Naming the module path and the source line
            of the first untraceable call and how to skip it.
    """
    try:
        graph = tracer.trace(root, concrete_args=concrete_args)
    except Exception as e:  # noqa: BLE001
        where = _first_user_frame(sys.exc_info()[2]) or 'unknown location'
        path = tracer.module_path_stack[-1] if tracer.module_path_stack \
            else ''
        if prefix and path.startswith(prefix):
            path = path[len(prefix):]
        mod_desc = f'module `{path}`' if path else 'the model forward'
        raise UntraceableModelError(
            f'torch.fx can not trace {type(root).__name__}: the first '
            f'untraceable call is in {mod_desc} at {where} '
            f'({type(e).__name__}: {e}). To skip it, make the module an '
            f"opaque leaf with ChannelAnalyzer(leaf_modules=['{path}']) "
            "(its channels become non-prunable), wrap the function with "
            "ChannelAnalyzer(autowrap_functions=['pkg.module.func']).") \
            from e
    return fx.GraphModule(tracer.root, graph, type(root).__name__)


class ValueRecorder(fx.Interpreter):
    """Runs a GraphModule and keeps a meta copy of every node output."""

    def __init__(self, gm: fx.GraphModule) -> None:
        super().__init__(gm)
        self.values: Dict[str, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        out = super().run_node(n)
        self.values[n.name] = _to_meta(out)
        return out


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
