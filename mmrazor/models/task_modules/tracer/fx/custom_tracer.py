# Copyright (c) OpenMMLab. All rights reserved.
"""An FX tracer for OpenMMLab models (quantization).

OpenMMLab models dispatch on a ``mode`` argument and run Python code over
data samples (loss computation, post-processing) that FX cannot trace.
:class:`CustomTracer` traces ``forward`` with ``mode`` as a concrete
argument and leaves the listed methods (``'pkg.Class.method'``) untraced:
each call of such a method becomes one graph node executed eagerly at run
time. Methods of the traced root module can be skipped too, and a skipped
head method that calls its own ``forward`` (``outs = self(x)``) keeps that
forward traced, so it is quantized (see ``untraced_call.py``).
"""
import copy
import importlib
import inspect
import linecache
import os
import os.path as osp
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch.nn as nn
from torch.fx import Graph, GraphModule, Node, Proxy

from mmrazor.registry import TASK_UTILS
from mmrazor.structures.quantization.torch_ao import QuantizationTracer
from .untraced_call import (SkippedMethodCall, fill_slots, flatten_proxies,
                            self_forward_calls)


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
    raw = inspect.getattr_static(cls, method)
    if isinstance(raw, (staticmethod, classmethod, property)) or \
            not callable(raw):
        raise ValueError(f'skipped method {path!r}: only plain methods can '
                         f'be left untraced, got a {type(raw).__name__}')
    return cls, method


class UntraceableCallError(RuntimeError):
    """Raised by :class:`CustomTracer` when the model runs code FX cannot
    trace; the message names the call and the ``skipped_methods`` entry
    that would leave it untraced."""


class UntracedMethodRegistry:
    """Patch methods so that, while a tracer runs, a call becomes one graph
    node instead of being traced through.

    A call with no symbolic argument runs as usual. Otherwise it becomes a
    ``call_function`` node whose target, a :class:`SkippedMethodCall`,
    binds the owner module (a sub-module or the traced root), holds the
    non-symbolic arguments as they are (configs, data samples, flags) and
    reuses the traced forward of the owner when the method calls
    ``self(x)`` (see ``untraced_call.py``).

    Args:
        method (Callable): The (unbound) method.
        method_name (str): Its attribute name.
        path (str, optional): ``'pkg.Class.method'`` (for messages).
    """

    #: ``{cls: {method_name: original}}`` of the currently patched methods.
    method_dict: Dict[type, Dict[str, Any]] = {}

    def __init__(self,
                 method: Callable,
                 method_name: str,
                 path: Optional[str] = None) -> None:
        self.method = method
        self.method_name = method_name
        self.path = path or getattr(method, '__qualname__', method_name)

    def make_wrapper(self, tracer: 'CustomTracer') -> Callable:
        """The patched method, bound to ``tracer``."""
        registry = self

        def wrapped(module_self, *args, **kwargs):
            template, proxies = flatten_proxies((args, kwargs))
            if not proxies or not isinstance(module_self, nn.Module):
                return registry.method(module_self, *args, **kwargs)
            return tracer.create_untraced_call(registry, module_self, template,
                                               proxies)

        wrapped.__wrapped__ = self.method
        return wrapped


@contextmanager
def _patched_methods(tracer: 'CustomTracer'):
    patched = []
    try:
        for path, (cls, name) in zip(tracer.skipped_methods,
                                     tracer.skipped_method_targets):
            had_own = name in cls.__dict__
            original = cls.__dict__[name] if had_own else None
            method = getattr(cls, name)
            reg = UntracedMethodRegistry(method, name, path)
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


_TRACER_FILES = (os.sep + 'torch' + os.sep, os.sep + 'contextlib.py',
                 os.sep + 'functools.py', osp.dirname(__file__) + os.sep)


def _model_frames(exc: BaseException) -> List[Any]:
    """Frames of the model's own code in the traceback of ``exc``."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        filename = frame.f_code.co_filename
        if not any(part in filename for part in _TRACER_FILES):
            frames.append((frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _qualified(frame: Any) -> str:
    code = frame.f_code
    qualname = getattr(code, 'co_qualname', code.co_name)
    return f"{frame.f_globals.get('__name__', '?')}.{qualname}"


def explain_trace_error(exc: BaseException, root: Any,
                        concrete_args: Optional[Dict[str, Any]]) -> str:
    """A message naming the untraceable call of ``exc`` and the
    ``skipped_methods`` entry that would leave it untraced.

    Args:
        exc (BaseException): The error raised while tracing.
        root (Any): The traced model.
        concrete_args (dict, optional): The concrete arguments.

    Returns:
        str: The message.
    """
    name = type(root).__name__ if isinstance(root, nn.Module) else str(root)
    head = (f'CustomTracer cannot trace {name}'
            f'{"" if not concrete_args else f" with {concrete_args}"}: '
            f'{type(exc).__name__}: {exc}')
    frames = _model_frames(exc)
    if not frames:
        return head
    frame, lineno = frames[-1]
    line = linecache.getline(frame.f_code.co_filename, lineno).strip()
    where = (f'\n  untraceable call: {_qualified(frame)} '
             f'({frame.f_code.co_filename}:{lineno}: {line})')
    # methods of modules on the stack, innermost first; the root forward
    # itself cannot be skipped
    methods = []
    for fr, _ in reversed(frames):
        owner = fr.f_locals.get('self')
        qualname = getattr(fr.f_code, 'co_qualname', fr.f_code.co_name)
        if not isinstance(owner, nn.Module) or '<' in qualname:
            continue
        if owner is root and fr.f_code.co_name == 'forward':
            continue
        path = _qualified(fr)
        if path not in methods:
            methods.append(path)
    chain = ' -> '.join(_qualified(fr) for fr, _ in frames)
    msg = head + where + f'\n  model call chain: {chain}'
    if methods:
        msg += (f"\n  add '{methods[0]}' to quantizer.tracer.skipped_methods"
                ' to leave it untraced (it then runs eagerly, unquantized;'
                ' if it calls self(x) on one of its own arguments, that '
                'forward stays traced)')
        if len(methods) > 1:
            msg += f'; or one of its callers: {methods[1:]}'
    else:
        msg += ('\n  the untraceable code is in the root forward itself; '
                'make the arguments it branches on concrete '
                "(concrete_args, e.g. {'mode': ...}) or move it into a "
                'method listed in skipped_methods')
    return msg


@TASK_UTILS.register_module()
class CustomTracer(QuantizationTracer):
    """FX tracer for quantizing OpenMMLab models.

    Methods listed in ``skipped_methods`` are left untraced: each call with
    symbolic arguments becomes one graph node run eagerly at run time (see
    :class:`UntracedMethodRegistry`). This works for methods of the traced
    root module too (e.g. a detector's ``add_pred_to_datasample``), for
    methods whose other arguments are arbitrary objects (configs, data
    samples, flags), and for head methods that mix data-sample handling
    with ``self(x)``: the forward they call stays traced and quantized.
    When tracing fails, :class:`UntraceableCallError` names the
    untraceable call and the entry to add.

    Args:
        skipped_methods (list[str]): ``'pkg.Class.method'`` methods left
            untraced, e.g. ``'mmcls.models.heads.ClsHead._get_loss'``.
        skipped_module_names (list[str]): Sub-module names kept as leaves
            (not traced into, not quantized).
        skipped_module_classes (list[str | type]): Module classes kept as
            leaves (e.g. a head whose forward is data dependent, kept
            whole).
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

    def add_skipped_methods(self, methods: List[str]) -> List[str]:
        """Skip ``methods`` as well (those already skipped are ignored).

        Args:
            methods (list[str]): ``'pkg.Class.method'`` entries.

        Returns:
            list[str]: The entries added.
        """
        added = [m for m in methods if m not in self.skipped_methods]
        targets = [_resolve_method(m) for m in added]
        self.skipped_methods += added
        self.skipped_method_targets += targets
        return added

    def trace(self,
              root: Union[nn.Module, Callable],
              concrete_args: Optional[Dict[str, Any]] = None) -> Graph:
        """Trace ``root`` with the skipped methods left untraced.

        Args:
            root (nn.Module | Callable): The model.
            concrete_args (dict, optional): e.g. ``{'mode': 'predict'}``.

        Returns:
            Graph: The traced graph.

        Raises:
            UntraceableCallError: The model runs untraceable code; the
                message names it and the ``skipped_methods`` entry to add.
        """
        self.node_name_to_scope = {}
        self.scope = type(self.scope)('', None)
        try:
            with _patched_methods(self):
                return super().trace(root, concrete_args)
        except UntraceableCallError:
            raise
        except Exception as e:  # noqa: BLE001  re-raised, explained
            raise UntraceableCallError(
                explain_trace_error(e, root, concrete_args)) from e

    def _trace_reused_forwards(self, registry: UntracedMethodRegistry,
                               module: nn.Module, template: Any,
                               proxies: List[Proxy]):
        """Trace the forward calls ``self(x)`` of an untraced method.

        A forward that fails to trace is rolled back (its nodes erased) and
        left to run eagerly inside the method.

        Args:
            registry (UntracedMethodRegistry): The skipped method.
            module (nn.Module): The module it is called on.
            template (Any): ``(args, kwargs)`` with slots for the proxies.
            proxies (list[Proxy]): The symbolic arguments.

        Returns:
            tuple: Parameter names of each traced forward call, templates
            of their results and the result proxies.
        """
        names_list, templates, values = [], [], []
        calls = self_forward_calls(registry.method)
        if not calls:
            return names_list, templates, values
        args, kwargs = fill_slots(template, proxies)
        try:
            bound = inspect.signature(registry.method).bind(
                module, *args, **kwargs)
        except TypeError:
            return names_list, templates, values
        bound.apply_defaults()
        for names in calls:
            fwd_args = tuple(bound.arguments[n] for n in names)
            if not flatten_proxies(fwd_args)[1]:
                continue
            # the node before the ones the forward adds
            last = next(iter(reversed(self.graph.nodes)), None)
            try:
                result = module(*fwd_args)
            except Exception as e:  # noqa: BLE001  reported below
                self._erase_after(last)
                warnings.warn(
                    f'{__name__}: the forward call of '
                    f'{type(module).__name__} inside the skipped method '
                    f'{registry.method.__qualname__} could not be traced '
                    f'({type(e).__name__}: {str(e)[:200]}); it runs '
                    'eagerly inside that method and its operations are '
                    'not in the graph (not quantized).')
                continue
            result_template, result_proxies = flatten_proxies(result)
            if not result_proxies:
                self._erase_after(last)
                continue
            names_list.append(names)
            templates.append(result_template)
            values.append(result_proxies)
        return names_list, templates, values

    def _erase_after(self, last: Optional[Node]) -> None:
        for node in reversed(list(self.graph.nodes)):
            if node is last:
                break
            self.graph.erase_node(node)

    def create_untraced_call(self, registry: UntracedMethodRegistry,
                             module: nn.Module, template: Any,
                             proxies: List[Proxy]) -> Proxy:
        """The graph node of one untraced method call.

        The owner module is bound in the node's target, not fetched with a
        ``get_attr``: a ``get_attr`` of a whole head would make it part of
        the graph module's hierarchy, and preparing (fusion, QAT module
        swaps) would then replace the float model's own sub-modules.

        Args:
            registry (UntracedMethodRegistry): The skipped method.
            module (nn.Module): The module it is called on.
            template (Any): ``(args, kwargs)`` with slots for the proxies.
            proxies (list[Proxy]): The symbolic arguments.

        Returns:
            Proxy: The result of the call.
        """
        names, templates, values = self._trace_reused_forwards(
            registry, module, template, proxies)
        call = SkippedMethodCall(
            registry.path,
            registry.method,
            template,
            names,
            templates,
            owner=module)
        node_args = (tuple(proxies), tuple(tuple(v) for v in values))
        return self.create_proxy('call_function', call, node_args, {})


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
    'CustomTracer', 'UntracedMethodRegistry', 'UntraceableCallError',
    'explain_trace_error', 'custom_symbolic_trace', 'build_graphmodule',
    'duplicate_reused_nodes'
]
