# Copyright (c) OpenMMLab. All rights reserved.
"""Run-time side of the methods :class:`CustomTracer` leaves untraced.

A skipped method called with symbolic values becomes one graph node whose
target is a :class:`SkippedMethodCall`: at run time it rebuilds the call's
arguments (proxies replaced by the node's inputs, every other argument kept
as the very object seen while tracing, so configs, data-sample lists or
flags need not be representable in FX code) and calls the original
function on its owner module.

Forward reuse: OpenMMLab heads mix their tensor computation with
data-sample handling in one method (``BaseDenseHead.predict`` builds the
image metas from the data samples, calls ``outs = self(x)`` and
post-processes). When a skipped method calls its own module's forward on
one of its parameters (``self(x)`` / ``self.forward(x)``, found in its
source, the parameter never re-assigned), that forward is traced into the
graph, so it is quantized, and at run time the untraced method gets the
graph's result back when it calls ``self(x)`` with the same objects. Any
other forward call inside the method runs the float forward as usual.
"""
import ast
import inspect
import textwrap
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

import torch.nn as nn
from torch.fx import Proxy


class _Slot:
    """Position of a proxy in a flattened argument structure."""

    __slots__ = ('index', )

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f'_Slot({self.index})'


def flatten_proxies(obj: Any) -> Tuple[Any, List[Proxy]]:
    """Replace the proxies in ``obj`` (nested tuples, lists and dicts) by
    slots.

    Args:
        obj (Any): An argument structure.

    Returns:
        tuple: ``(template, proxies)``; :func:`fill_slots` rebuilds ``obj``
        from the template and values for the proxies.
    """
    proxies: List[Proxy] = []

    def visit(o: Any) -> Any:
        if isinstance(o, Proxy):
            proxies.append(o)
            return _Slot(len(proxies) - 1)
        if type(o) in (list, tuple):
            return type(o)(visit(v) for v in o)
        if isinstance(o, tuple) and hasattr(o, '_fields'):  # namedtuple
            return type(o)(*(visit(v) for v in o))
        if type(o) is dict:
            return {k: visit(v) for k, v in o.items()}
        return o

    return visit(obj), proxies


def fill_slots(template: Any, values: Sequence[Any]) -> Any:
    """Inverse of :func:`flatten_proxies`.

    Args:
        template (Any): The template.
        values (Sequence): One value per slot.

    Returns:
        Any: The structure with the slots filled.
    """
    if isinstance(template, _Slot):
        return values[template.index]
    if type(template) in (list, tuple):
        return type(template)(fill_slots(v, values) for v in template)
    if isinstance(template, tuple) and hasattr(template, '_fields'):
        return type(template)(*(fill_slots(v, values) for v in template))
    if type(template) is dict:
        return {k: fill_slots(v, values) for k, v in template.items()}
    return template


def _assigned_names(fdef: ast.AST) -> set:
    names = set()
    for node in ast.walk(fdef):
        targets: List[ast.AST] = []
        if isinstance(node, (ast.Assign, )):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [node.target]
        elif isinstance(node, ast.withitem) and node.optional_vars:
            targets = [node.optional_vars]
        elif isinstance(node, ast.NamedExpr):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


@lru_cache(maxsize=None)
def self_forward_calls(func: Callable) -> Tuple[Tuple[str, ...], ...]:
    """The ``self(a, b)`` / ``self.forward(a, b)`` calls of a method whose
    arguments are all parameters of the method never re-assigned in it.

    Args:
        func (Callable): The (unbound) method.

    Returns:
        tuple[tuple[str]]: The parameter names of each distinct call; empty
        when the source is not available.
    """
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return ()
    fdef = next((n for n in tree.body
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
                None)
    if fdef is None:
        return ()
    positional = fdef.args.posonlyargs + fdef.args.args
    if not positional:
        return ()
    self_name = positional[0].arg
    params = {a.arg for a in positional[1:] + fdef.args.kwonlyargs}
    params -= _assigned_names(fdef)
    calls: List[Tuple[str, ...]] = []
    for node in ast.walk(fdef):
        if not isinstance(node, ast.Call) or node.keywords or not node.args:
            continue
        f = node.func
        is_self_call = isinstance(f, ast.Name) and f.id == self_name
        is_forward = isinstance(f, ast.Attribute) and f.attr == 'forward' \
            and isinstance(f.value, ast.Name) and f.value.id == self_name
        if not (is_self_call or is_forward):
            continue
        if not all(
                isinstance(a, ast.Name) and a.id in params for a in node.args):
            continue
        names = tuple(a.id for a in node.args)
        if names not in calls:
            calls.append(names)
    return tuple(calls)


@contextmanager
def reuse_forward(
        owner: nn.Module, entries: Sequence[Tuple[Tuple[Any, ...],
                                                  Any]]) -> Iterator[None]:
    """Make ``owner(*args)`` return a precomputed result for given args.

    Args:
        owner (nn.Module): The module.
        entries (Sequence): ``(args, result)`` pairs; a call whose
            positional arguments are the very same objects (``is``) gets
            ``result``, any other call runs the module's own forward.
    """
    had_own = 'forward' in owner.__dict__
    previous = owner.__dict__.get('forward')
    original = owner.forward

    def forward(*args, **kwargs):
        if not kwargs:
            for key, result in entries:
                if len(key) == len(args) and all(a is b
                                                 for a, b in zip(args, key)):
                    return result
        return original(*args, **kwargs)

    owner.__dict__['forward'] = forward
    try:
        yield
    finally:
        if had_own:
            owner.__dict__['forward'] = previous
        else:
            owner.__dict__.pop('forward', None)


class SkippedMethodCall:
    """The target of the graph node of one untraced method call.

    Node arguments: ``(proxies, forward_results)``: the values of the
    call's proxies and one tuple of values per reused forward call (see the
    module docstring). The owner module is bound here (the float model's
    module; prepared graphs share its parameters).

    Args:
        path (str): ``'pkg.Class.method'`` as given in ``skipped_methods``.
        func (Callable): The original (unbound) function.
        template (tuple): ``(args, kwargs)`` with slots for the proxies.
        forward_params (Sequence[tuple[str]]): Parameter names of each
            reused forward call.
        forward_templates (Sequence): Templates of their results.
        owner (nn.Module): The module the method is called on.
    """

    def __init__(self,
                 path: str,
                 func: Callable,
                 template: Tuple[Any, Any],
                 forward_params: Sequence[Tuple[str, ...]] = (),
                 forward_templates: Sequence[Any] = (),
                 owner: Optional[nn.Module] = None) -> None:
        self.path = path
        self.func = func
        self.template = template
        self.forward_params = tuple(forward_params)
        self.forward_templates = tuple(forward_templates)
        self.owner = owner
        self.signature = inspect.signature(func)
        # torch.fx names the global after these
        self.__name__ = 'skipped_' + path.rpartition('.')[2].strip('_')
        self.__qualname__ = self.__name__
        self.__module__ = __name__

    def __repr__(self) -> str:
        return f'SkippedMethodCall({self.path!r})'

    def __call__(
        self,
        values: Sequence[Any],
        forward_values: Sequence[Sequence[Any]] = ()
    ) -> Any:
        owner = self.owner
        args, kwargs = fill_slots(self.template, values)
        if not self.forward_params:
            return self.func(owner, *args, **kwargs)
        bound = self.signature.bind(owner, *args, **kwargs)
        bound.apply_defaults()
        entries = []
        for names, template, result_values in zip(self.forward_params,
                                                  self.forward_templates,
                                                  forward_values):
            key = tuple(bound.arguments[n] for n in names)
            entries.append((key, fill_slots(template, result_values)))
        with reuse_forward(owner, entries):
            return self.func(owner, *args, **kwargs)


__all__ = [
    'SkippedMethodCall', 'flatten_proxies', 'fill_slots', 'self_forward_calls',
    'reuse_forward'
]
