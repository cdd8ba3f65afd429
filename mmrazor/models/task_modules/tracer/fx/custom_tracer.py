# Copyright (c) OpenMMLab. All rights reserved.
"""An FX tracer for OpenMMLab models (quantization).

OpenMMLab models dispatch on a ``mode`` argument and run Python code over
data samples (loss computation, post-processing) that FX cannot trace.
:class:`CustomTracer` traces ``forward`` with ``mode`` as a concrete
argument and leaves the listed methods (``'pkg.Class.method'``) untraced:
each call of such a method becomes one ``call_method`` node on the owning
sub-module, executed eagerly at run time. Methods of the traced root module
itself cannot be left untraced (the graph has no node for the root); skip
the methods of its sub-modules (heads) instead.
"""
import copy
import importlib
from contextlib import contextmanager
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch.nn as nn
from torch.fx import Graph, GraphModule, Proxy
from torch.fx.node import map_aggregate

from mmrazor.registry import TASK_UTILS
from mmrazor.structures.quantization.torch_ao import QuantizationTracer


def _import_attr(path: str) -> Any:
    """Import ``pkg.module.Class.method`` (``mmcls`` falls back to
    mmpretrain)."""
    parts = path.split('.')
    candidates = [parts]
    if parts[0] == 'mmcls':
        candidates.append(['mmpretrain'] + parts[1:])
    errors = []
    for cand in candidates:
        for split in range(len(cand) - 1, 0, -1):
            module_name = '.'.join(cand[:split])
            try:
                obj = importlib.import_module(module_name)
            except ImportError as e:
                errors.append(str(e))
                continue
            try:
                for attr in cand[split:]:
                    obj = getattr(obj, attr)
            except AttributeError as e:
                errors.append(str(e))
                break
            return obj
    reason = errors[-1] if errors else 'not found'
    raise ImportError(f'cannot resolve {path!r}: {reason}')


def _resolve_method(path: str) -> Tuple[type, str]:
    """``'pkg.Class.method'`` → ``(Class, 'method')``."""
    if not isinstance(path, str) or path.count('.') < 2:
        raise ValueError(f'skipped_methods entries must look like '
                         f"'pkg.Class.method', got {path!r}")
    cls_path, _, method = path.rpartition('.')
    cls = _import_attr(cls_path)
    if not isinstance(cls, type):
        raise ValueError(f'skipped method {path!r}: {cls_path!r} is not a '
                         'class')
    if not hasattr(cls, method):
        raise ValueError(f'skipped method {path!r}: {cls.__name__} has no '
                         f'method {method!r}')
    return cls, method


class UntracedMethodRegistry:
    """Patch methods so that, while a tracer runs, a call becomes one
    ``call_method`` node instead of being traced through.

    Args:
        method (Callable): The (unbound) method.
        method_name (str): Its attribute name.
    """

    #: ``{cls: {method_name: original}}`` of the currently patched methods.
    method_dict: Dict[type, Dict[str, Any]] = {}

    def __init__(self, method: Callable, method_name: str) -> None:
        self.method = method
        self.method_name = method_name

    def make_wrapper(self, tracer: 'CustomTracer') -> Callable:
        method, name = self.method, self.method_name

        def wrapped(module_self, *args, **kwargs):
            has_proxy = []

            def check(a):
                if isinstance(a, Proxy):
                    has_proxy.append(True)
                return a

            map_aggregate((args, kwargs), check)
            if not has_proxy or not isinstance(module_self, nn.Module):
                return method(module_self, *args, **kwargs)
            path = tracer.path_of_module(module_self)
            if path == '':
                raise RuntimeError(
                    f'cannot leave {name!r} of the traced root module '
                    'untraced; skip a method of a sub-module instead')
            owner = tracer.create_proxy('get_attr', path, (), {})
            return tracer.create_proxy('call_method', name, (owner, ) + args,
                                       kwargs)

        wrapped.__wrapped__ = method
        return wrapped


@contextmanager
def _patched_methods(tracer: 'CustomTracer'):
    patched = []
    try:
        for cls, name in tracer.skipped_method_targets:
            had_own = name in cls.__dict__
            original = cls.__dict__[name] if had_own else None
            method = getattr(cls, name)
            reg = UntracedMethodRegistry(method, name)
            setattr(cls, name, reg.make_wrapper(tracer))
            UntracedMethodRegistry.method_dict.setdefault(cls, {})[name] = \
                method
            patched.append((cls, name, had_own, original))
        yield
    finally:
        for cls, name, had_own, original in reversed(patched):
            if had_own:
                setattr(cls, name, original)
            else:
                delattr(cls, name)
            UntracedMethodRegistry.method_dict.get(cls, {}).pop(name, None)


@TASK_UTILS.register_module()
class CustomTracer(QuantizationTracer):
    """FX tracer for quantizing OpenMMLab models.

    Args:
        skipped_methods (list[str]): ``'pkg.Class.method'`` methods left
            untraced, e.g. ``'mmcls.models.heads.ClsHead._get_loss'``.
        skipped_module_names (list[str]): Sub-module names kept as leaves
            (not traced into, not quantized).
        skipped_module_classes (list[str | type]): Module classes kept as
            leaves.
    """

    def __init__(self,
                 skipped_methods: Optional[List[str]] = None,
                 skipped_module_names: Optional[List[str]] = None,
                 skipped_module_classes: Optional[List[Union[str,
                                                             type]]] = None,
                 *args,
                 **kwargs) -> None:
        from mmrazor.models.utils import str2class
        skipped_module_classes = [
            str2class(c) if isinstance(c, str) else c
            for c in (skipped_module_classes or [])
        ]
        super().__init__(
            list(skipped_module_names or []), skipped_module_classes)
        self.skipped_methods = list(skipped_methods or [])
        self.skipped_method_targets = [
            _resolve_method(m) for m in self.skipped_methods
        ]

    def trace(self,
              root: Union[nn.Module, Callable],
              concrete_args: Optional[Dict[str, Any]] = None) -> Graph:
        """Trace ``root`` with the skipped methods left untraced.

        Args:
            root (nn.Module | Callable): The model.
            concrete_args (dict, optional): e.g. ``{'mode': 'predict'}``.

        Returns:
            Graph: The traced graph.
        """
        self.node_name_to_scope = {}
        self.scope = type(self.scope)('', None)
        with _patched_methods(self):
            return super().trace(root, concrete_args)


def _is_stateless(module: nn.Module) -> bool:
    return next(module.parameters(), None) is None and \
        next(module.buffers(), None) is None


def duplicate_reused_nodes(graph: Graph, modules: Dict[str, nn.Module]):
    """Give each call of a re-used, stateless leaf module its own copy.

    E.g. a ``BasicBlock`` calls ``self.relu`` twice; after this the second
    call targets ``relu_1`` (a deep copy), so fusion and observer placement
    treat the two calls independently. Modules with parameters or buffers
    are left shared (copying them would untie weights).

    Args:
        graph (Graph): The traced graph, changed in place.
        modules (dict): ``{qualified name: module}``; copies are added.

    Returns:
        Graph: ``graph``.
    """
    seen: Dict[str, int] = {}
    for node in graph.nodes:
        if node.op != 'call_module':
            continue
        target = node.target
        if target not in seen:
            seen[target] = 0
            continue
        if not _is_stateless(modules[target]):
            continue
        seen[target] += 1
        new_target = f'{target}_{seen[target]}'
        while new_target in modules:
            seen[target] += 1
            new_target = f'{target}_{seen[target]}'
        modules[new_target] = copy.deepcopy(modules[target])
        node.target = new_target
    return graph


def build_graphmodule(model: nn.Module,
                      fx_graph: Graph,
                      name: str = 'GraphModule') -> GraphModule:
    """Build a ``GraphModule`` from ``model`` and its traced graph.

    Re-used stateless leaf modules get one copy per call (see
    :func:`duplicate_reused_nodes`); ``model`` itself is not modified and
    shares its parameters with the result.

    Args:
        model (nn.Module): The traced model.
        fx_graph (Graph): Its graph.
        name (str): Class name of the result.

    Returns:
        GraphModule: The graph module.
    """
    modules = dict(model.named_modules())
    duplicate_reused_nodes(fx_graph, modules)
    root: Dict[str, Any] = {}
    for node in fx_graph.nodes:
        if node.op not in ('call_module', 'get_attr'):
            continue
        if node.target in modules:
            root[node.target] = modules[node.target]
            continue
        obj: Any = model
        for atom in node.target.split('.'):
            obj = getattr(obj, atom)
        root[node.target] = obj
    graph_module = GraphModule(root, fx_graph, name)
    graph_module.train(model.training)
    return graph_module


def custom_symbolic_trace(
        root: Union[nn.Module, Callable],
        concrete_args: Optional[Dict[str, Any]] = None,
        tracer: Optional[CustomTracer] = None) -> GraphModule:
    """Trace ``root`` with a :class:`CustomTracer` into a GraphModule.

    Args:
        root (nn.Module | Callable): The model.
        concrete_args (dict, optional): Concrete arguments (``mode``).
        tracer (CustomTracer, optional): The tracer; a default one if None.

    Returns:
        GraphModule: The traced model.
    """
    tracer = tracer or CustomTracer()
    graph = tracer.trace(root, concrete_args)
    name = root.__class__.__name__ if isinstance(root,
                                                 nn.Module) else root.__name__
    return build_graphmodule(root, graph, name)


__all__ = [
    'CustomTracer', 'UntracedMethodRegistry', 'custom_symbolic_trace',
    'build_graphmodule', 'duplicate_reused_nodes'
]
