# Copyright (c) OpenMMLab. All rights reserved.
import difflib
import importlib
from types import ModuleType
from typing import Any, List, Tuple

from torch import nn


def close_matches(name: str, candidates: List[str], n: int = 5) -> str:
    """A short 'did you mean' text for error messages."""
    matches = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
    if matches:
        return 'close matches: ' + ', '.join(matches)
    shown = ', '.join(candidates[:10])
    more = ' ...' if len(candidates) > 10 else ''
    return f'available: {shown}{more}' if candidates else 'none available'


def get_submodule(model: nn.Module,
                  name: str,
                  owner: str = 'recorder') -> nn.Module:
    """Find a sub-module by its dotted name, with a helpful error."""
    if model is None:
        raise ValueError(f'{owner} for module {name!r} needs the model: '
                         'call initialize(model)')
    modules = dict(model.named_modules())
    if name not in modules:
        raise AttributeError(
            f'{owner}: the model ({type(model).__name__}) has no module '
            f'named {name!r}; ' + close_matches(name, list(modules)))
    return modules[name]


def _map_mmcls(path: str) -> str:
    """``mmcls.x.y`` -> ``mmpretrain.x.y`` when mmcls is served by
    mmpretrain (see :mod:`mmrazor.utils.mmcls_compat`)."""
    if path.split('.', 1)[0] != 'mmcls':
        return path
    from mmrazor.utils.mmcls_compat import compat_active, map_package
    if compat_active():
        return map_package('mmcls') + path[len('mmcls'):]
    return path


def import_attr_owner(path: str,
                      min_dots: int,
                      owner: str = 'recorder') -> Tuple[Any, str, Any]:
    """Resolve ``'pkg.module[.Class].attr'``.

    The longest importable prefix is the module; the remaining names are
    looked up as attributes.

    Args:
        path (str): The dotted path.
        min_dots (int): 1 for functions, 2 for methods.
        owner (str): Name used in error messages.

    Returns:
        tuple: ``(owner_object, attr_name, attr)`` where ``owner_object``
        is a module (functions) or a class (methods).
    """
    if not isinstance(path, str) or path.count('.') < min_dots:
        kind = 'pkg.module.Class.method' if min_dots >= 2 \
            else 'pkg.module.function'
        raise ValueError(f'{owner}: {path!r} is not a valid path, expected '
                         f'the form {kind!r}')
    parts = _map_mmcls(path).split('.')
    module: ModuleType = None
    index = len(parts) - 1
    error = None
    while index > 0:
        try:
            module = importlib.import_module('.'.join(parts[:index]))
            break
        except ImportError as e:
            error = error or e
            index -= 1
    if module is None:
        raise ImportError(f'{owner}: cannot import any module of {path!r}'
                          f' ({error})')
    obj: Any = module
    for name in parts[index:-1]:
        if not hasattr(obj, name):
            raise AttributeError(
                f'{owner}: {".".join(parts[:index])!r} has no attribute '
                f'{name!r} (resolving {path!r})')
        obj = getattr(obj, name)
    attr_name = parts[-1]
    if not hasattr(obj, attr_name):
        raise AttributeError(f'{owner}: {getattr(obj, "__name__", obj)!r}'
                             f' has no attribute {attr_name!r} (resolving '
                             f'{path!r})')
    if min_dots >= 2 and not isinstance(obj, type):
        raise TypeError(f'{owner}: {path!r} should name a method of a '
                        f'class, but {parts[-2]!r} is a '
                        f'{type(obj).__name__}')
    if min_dots < 2 and not isinstance(obj, ModuleType):
        raise TypeError(f'{owner}: {path!r} should name a function of a '
                        f'module, but {parts[-2]!r} is not a module; use '
                        'a method recorder/delivery for methods')
    return obj, attr_name, getattr(obj, attr_name)


class AttrPatcher:
    """Replace ``owner.attr`` with a wrapper and put back exactly what was
    there before (the class' own attribute, or nothing for an inherited
    one), handling ``staticmethod`` and ``classmethod``.

    Args:
        owner (module | type): The object holding the attribute.
        attr_name (str): The attribute name.
    """

    def __init__(self, owner: Any, attr_name: str) -> None:
        self.owner = owner
        self.attr_name = attr_name
        self._saved: Any = None
        self._own = False
        self.patched = False

    def patch(self, make_wrapper: Any) -> None:
        """Install ``make_wrapper(current_function)``."""
        if self.patched:
            raise RuntimeError(f'{self.owner!r}.{self.attr_name} is already '
                               'patched by this object (nested context?)')
        owner, name = self.owner, self.attr_name
        if isinstance(owner, type):
            self._own = name in owner.__dict__
            raw = owner.__dict__[name] if self._own else getattr(owner, name)
        else:
            self._own = True
            raw = getattr(owner, name)
        self._saved = raw
        if isinstance(raw, staticmethod):
            new = staticmethod(make_wrapper(raw.__func__))
        elif isinstance(raw, classmethod):
            new = classmethod(make_wrapper(raw.__func__))
        else:
            new = make_wrapper(raw)
        setattr(owner, name, new)
        self.patched = True

    def restore(self) -> None:
        """Undo :meth:`patch`."""
        if not self.patched:
            return
        if self._own:
            setattr(self.owner, self.attr_name, self._saved)
        else:
            delattr(self.owner, self.attr_name)
        self._saved = None
        self.patched = False
