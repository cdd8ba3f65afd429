# Copyright (c) OpenMMLab. All rights reserved.
"""Public names of sub-packages, reachable from their parent packages.

``from mmrazor.engine import EvolutionSearchLoop`` and ``from mmrazor.models
import ItePruneAlgorithm`` must work for every class a sub-package exports,
including names a sub-package imports without listing them in ``__all__``.
A parent package sets ``__getattr__ = subpackage_getattr(__name__)``: a name
that is not found in the parent is looked up in its imported sub-packages.
"""
import sys
from typing import Any, Callable


def subpackage_getattr(package: str) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` (PEP 562) for ``package``.

    Args:
        package (str): The parent package's ``__name__``.

    Returns:
        Callable: ``__getattr__(name)`` that returns the public attribute
        ``name`` of the first imported direct sub-module of ``package`` that
        has it (a class or function defined inside ``package``), else raises
        AttributeError.
    """
    prefix = package + '.'

    def __getattr__(name: str) -> Any:
        if not name.startswith('_'):
            children = [
                module for key, module in list(sys.modules.items())
                if key.startswith(prefix) and '.' not in key[len(prefix):]
                and module is not None
            ]
            for child in sorted(children, key=lambda m: m.__name__):
                value = getattr(child, name, None)
                if str(getattr(value, '__module__', '')).startswith(prefix):
                    return value
        raise AttributeError(f'module {package!r} has no attribute {name!r}')

    return __getattr__


__all__ = ['subpackage_getattr']
