# Copyright (c) OpenMMLab. All rights reserved.
"""Readable errors for ``type`` names that no registry knows."""
import difflib
import functools
import re
from typing import Callable, Iterator, List, Optional

from mmengine.registry import Registry

_NOT_IN_REGISTRY = re.compile(
    r"(?P<key>\S+) is not in the (?P<scope>[\w\-]+)::(?P<name>[^\"']+?) "
    r'registry')


class UnknownTypeError(KeyError):
    """Raised when a config's ``type`` is not registered anywhere visible.

    It is a ``KeyError`` (what MMEngine raises) whose message reads well.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def _walk(registry: Registry) -> Iterator[Registry]:
    yield registry
    for child in registry.children.values():
        yield from _walk(child)


def _registries_named(name: str) -> List[Registry]:
    """All registries called ``name`` in MMEngine's registry tree."""
    from mmengine import registry as mme_registry
    roots = [
        obj for obj in vars(mme_registry).values() if
        isinstance(obj, Registry) and obj.parent is None and obj.name == name
    ]
    found = []
    for root in roots:
        found.extend(_walk(root))
    return found


def explain_unknown_type(key: str, scope: str, name: str) -> str:
    """Build the message for an unknown ``type``.

    Args:
        key (str): The ``type`` that was not found, e.g. ``'mmrazor.SPOZ'``.
        scope (str): The scope of the registry that was searched.
        name (str): The registry's name, e.g. ``'model'``.

    Returns:
        str: The registry, the scopes searched and the closest names.
    """
    real_key = key.split('.')[-1]
    registries = _registries_named(name)
    searched = [scope]
    for reg in registries:
        if reg.scope == scope:
            parent = reg.parent
            while parent is not None:
                searched.append(parent.scope)
                parent = parent.parent
            break
    candidates = {}
    import_failures = []
    for reg in registries:
        try:
            reg.import_from_location()
        except (ImportError, AttributeError, KeyError, TypeError,
                ValueError, RuntimeError, OSError) as e:
            # a broken optional package must not hide the unknown type,
            # but the user learns why some names may be missing
            import_failures.append(
                f'{reg.scope}: {type(e).__name__}: {str(e)[:120]}')
        for k in reg.module_dict:
            candidates.setdefault(k, reg.scope)
    close = difflib.get_close_matches(
        real_key, list(candidates), n=5, cutoff=0.6)
    if not close:
        lowered = real_key.lower()
        close = [k for k in candidates if lowered in k.lower()][:5]
    msg = (f'Unknown type {key!r}: it is not registered in the '
           f'{name!r} registry of scope {scope!r} (searched scopes: '
           f'{", ".join(dict.fromkeys(searched))}).')
    if close:
        hint = ', '.join(f'{candidates[c]}.{c}' for c in close)
        msg += f' Close matches: {hint}.'
    msg += (' Check the spelling, the `_scope_`/`default_scope` of the '
            'config, or add the module that registers it to '
            '`custom_imports`.')
    if import_failures:
        msg += (' Some registered modules could not be imported: ' +
                '; '.join(import_failures) + '.')
    return msg


def translate_key_error(exc: BaseException) -> Optional[UnknownTypeError]:
    """Turn MMEngine's "X is not in the S::N registry" into our error.

    Args:
        exc (BaseException): Any exception.

    Returns:
        UnknownTypeError or None: ``None`` when ``exc`` is something else.
    """
    if isinstance(exc, UnknownTypeError):
        return exc
    if not isinstance(exc, KeyError) or not exc.args:
        return None
    match = _NOT_IN_REGISTRY.search(str(exc.args[0]))
    if match is None:
        return None
    return UnknownTypeError(
        explain_unknown_type(match['key'], match['scope'],
                             match['name'].strip()))


def with_suggestions(build_func: Callable) -> Callable:
    """Wrap a registry build function so unknown types explain themselves.

    Args:
        build_func (Callable): A function ``(cfg, registry, ...)``.

    Returns:
        Callable: The same function, raising :class:`UnknownTypeError`.
    """

    @functools.wraps(build_func)
    def build(*args, **kwargs):
        try:
            return build_func(*args, **kwargs)
        except KeyError as exc:
            better = translate_key_error(exc)
            if better is None or better is exc:
                raise
            raise better from exc

    build.__wrapped_build_func__ = build_func  # type: ignore
    return build
