# Copyright (c) OpenMMLab. All rights reserved.
"""Algorithms and their components.

``import mmrazor.models`` is cheap: the subpackages below are imported on
first use, so ``from mmrazor.models import SPOS`` and
``mmrazor.models.algorithms`` work as before while a bare import costs
nothing. Registration does not depend on it either: the registries import
:mod:`mmrazor.models.all_modules` (every subpackage) the first time a
``type`` is looked up, and ``register_all_modules()`` does the same.
"""
import importlib
import importlib.util
from types import ModuleType
from typing import Dict, List

from mmrazor.utils.reexport import subpackage_getattr

# One row per subpackage. A public name is served by the subpackage that
# exports it (``__all__``, else its public globals, as ``import *`` reads
# them); as with the former star imports, a later row wins a clash.
_SUBPACKAGES = (
    'algorithms',
    'architectures',
    'distillers',
    'fake_quants',
    'losses',
    'mutables',
    'mutators',
    'observers',
    'quantizers',
    'task_modules',
)

_name_to_subpackage: Dict[str, str] = {}
_subpackage_getattr = subpackage_getattr(__name__)


def import_all() -> List[ModuleType]:
    """Import every subpackage, which registers all their components.

    Returns:
        list[ModuleType]: The subpackages, in ``_SUBPACKAGES`` order.
    """
    return [
        importlib.import_module(f'{__name__}.{sub}') for sub in _SUBPACKAGES
    ]


def _exported(module: ModuleType) -> List[str]:
    """The names ``from module import *`` binds."""
    names = getattr(module, '__all__', None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith('_')]
    return list(names)


def _public_names() -> Dict[str, str]:
    """``{public name: subpackage}`` over every subpackage."""
    if not _name_to_subpackage:
        for sub, module in zip(_SUBPACKAGES, import_all()):
            for name in _exported(module):
                _name_to_subpackage[name] = sub
    return _name_to_subpackage


def _is_module(name: str) -> bool:
    """Whether ``mmrazor.models.<name>`` is a module, e.g. ``utils``."""
    return name in _SUBPACKAGES or importlib.util.find_spec(
        f'{__name__}.{name}') is not None


def __getattr__(name: str):
    if name == '__all__':
        # every exported class, function and constant (submodules that the
        # subpackages happen to expose stay reachable as attributes)
        return [
            n for n in _public_names()
            if not isinstance(__getattr__(n), ModuleType)
        ]
    if name.startswith('_'):
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    if _is_module(name):
        return importlib.import_module(f'{__name__}.{name}')
    sub = _public_names().get(name)
    if sub is None:
        # a class a subpackage defines without exporting it (registered
        # counters, lazily registered heads, ...)
        import_all()
        try:
            value = _subpackage_getattr(name)
        except AttributeError:
            raise AttributeError(
                f'module {__name__!r} has no attribute {name!r}: none of '
                f'its subpackages ({", ".join(_SUBPACKAGES)}) exports it'
            ) from None
        globals()[name] = value
        return value
    value = getattr(importlib.import_module(f'{__name__}.{sub}'), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_SUBPACKAGES) | set(_public_names()))
