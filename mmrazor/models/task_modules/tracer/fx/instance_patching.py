# Copyright (c) OpenMMLab. All rights reserved.
"""``torch.fx.Tracer.trace`` that intercepts the model's module calls by
swapping the class of each module instance, instead of patching
``nn.Module.__call__`` / ``__getattr__`` on the class itself.

Setting an attribute on ``nn.Module`` invalidates the attribute caches of
every ``nn.Module`` subclass in the process (thousands once mmdet, mmseg
and mmpretrain are imported): the four such writes of a plain trace cost
milliseconds, a tenth of a whole channel analysis of MobileNetV2. Swapping
``__class__`` of the model's own modules to a cached subclass that
routes ``__call__`` and ``__getattr__`` to the tracer changes no type.
"""
import functools
import inspect
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch.fx as fx
from torch import nn

# the (call, getattr) hooks of the traces in progress, innermost last
_ACTIVE: List[Tuple[Callable, Callable]] = []


def _routed_call(mod: nn.Module, *args, **kwargs) -> Any:
    return _ACTIVE[-1][0](mod, *args, **kwargs)


def _routed_getattr(mod: nn.Module, name: str) -> Any:
    return _ACTIVE[-1][1](mod, name)


@functools.lru_cache(maxsize=None)
def _intercepting_class(cls: type) -> type:
    """A subclass of ``cls`` (same name and module) whose calls and
    attribute misses go to the active trace."""
    return type(
        cls.__name__, (cls, ), {
            '__call__': _routed_call,
            '__getattr__': _routed_getattr,
            '__module__': cls.__module__,
            '__qualname__': cls.__qualname__,
            '_fx_original_class': cls,
        })


def original_class(cls: type) -> type:
    """``cls``, or the class an intercepting class stands in for."""
    return cls.__dict__.get('_fx_original_class', cls)


class _LazyTensorAttrs(dict):
    """``Tracer.tensor_attrs`` (tensor -> qualified name of the module
    attribute holding it), filled on the first lookup: traces of channel
    ops rarely look up a tensor constant at all."""

    def __init__(self, root: nn.Module) -> None:
        super().__init__()
        self._root: Optional[nn.Module] = root

    def get(self, key: Any, default: Any = None) -> Any:
        if self._root is not None:
            root, self._root = self._root, None
            from torch.fx._symbolic_trace import _constant_attribute_types
            for prefix, mod in root.named_modules(remove_duplicate=False):
                for k, v in mod.__dict__.items():
                    if isinstance(v, _constant_attribute_types):
                        self.setdefault(v, f'{prefix}.{k}' if prefix else k)
        return super().get(key, default)


def _supported(named: List[Tuple[str, nn.Module]]) -> bool:
    """Classes that keep ``nn.Module``'s ``__call__`` and ``__getattr__``
    (where a class defines its own, the plain trace is what it expects)."""
    call, getattr_ = nn.Module.__call__, nn.Module.__getattr__
    return all(
        type(m).__call__ is call and type(m).__getattr__ is getattr_
        for _, m in named)


def trace_patching_instances(
        tracer: fx.Tracer,
        root: nn.Module,
        concrete_args: Optional[Dict[str, Any]] = None) -> Optional[fx.Graph]:
    """What ``tracer.trace(root, concrete_args)`` returns, with the module
    calls intercepted per instance (see the module docstring).

    Args:
        tracer (fx.Tracer): The tracer.
        root (nn.Module): The module to trace.
        concrete_args (dict, optional): As for ``Tracer.trace``.

    Returns:
        fx.Graph | None: The graph, or None when this way does not apply
        (a class with its own ``__call__``/``__getattr__``, a class whose
        instances can not change class, or a torch without the internals
        used here): then call ``Tracer.trace``.
    """
    try:
        from torch.fx import _symbolic_trace as st
        orig_call, orig_getattr = st._orig_module_call, st._orig_module_getattr
        new_patcher, autowrap_check = st._new_patcher, st._autowrap_check
        patch_wrapped = st._patch_wrapped_functions
        get_flag, set_flag = st._get_is_fx_tracing, st._set_is_fx_tracing
    except AttributeError:  # pragma: no cover
        return None
    named = list(root.named_modules())
    if not _supported(named):
        return None
    fn = getattr(type(root), tracer.traced_func_name)
    swapped: List[Tuple[nn.Module, type]] = []
    old_flag = get_flag()
    set_flag(True)
    try:
        tracer.root = root
        tracer.root_module_name = root._get_name()
        tracer.submodule_paths = {mod: name for name, mod in named}
        tracer.graph = fx.Graph(tracer_cls=type(tracer))
        code = fn.__code__
        tracer.graph._co_fields = {
            'co_name': code.co_name,
            'co_filename': code.co_filename,
            'co_firstlineno': code.co_firstlineno,
        }
        tracer.tensor_attrs = _LazyTensorAttrs(root)
        fn_globals = fn.__globals__
        fn, args = tracer.create_args_for_root(fn, True, concrete_args)
        proxy_cache: Dict[str, Any] = {}

        def module_getattr(mod: nn.Module, name: str) -> Any:
            return tracer.getattr(name, orig_getattr(mod, name), proxy_cache)

        def module_call(mod: nn.Module, *args, **kwargs) -> Any:

            def forward(*args, **kwargs):
                return orig_call(mod, *args, **kwargs)

            autowrap_check(
                patcher,
                getattr(getattr(mod, 'forward', mod), '__globals__', {}),
                tracer._autowrap_function_ids)
            return tracer.call_module(mod, forward, args, kwargs)

        with new_patcher() as patcher:
            _ACTIVE.append((module_call, module_getattr))
            try:
                try:
                    for _, mod in named:
                        cls = type(mod)
                        mod.__class__ = _intercepting_class(cls)
                        swapped.append((mod, cls))
                except TypeError:  # e.g. __slots__: layouts differ
                    return None
                patch_wrapped(patcher)
                autowrap_check(patcher, fn_globals,
                               tracer._autowrap_function_ids)
                for module in tracer._autowrap_search:
                    autowrap_check(patcher, module.__dict__,
                                   tracer._autowrap_function_ids)
                ann = inspect.get_annotations(inspect.unwrap(fn))
                tracer.create_node(
                    'output',
                    'output', (tracer.create_arg(fn(*args)), ), {},
                    type_expr=ann.get('return', None))
            finally:
                for mod, cls in reversed(swapped):
                    mod.__class__ = cls
                _ACTIVE.pop()
        tracer.submodule_paths = None
    finally:
        set_flag(old_flag)
    return tracer.graph


__all__ = ['original_class', 'trace_patching_instances']
