# Copyright (c) OpenMMLab. All rights reserved.
"""Register classes that subclass an upstream package lazily.

A class such as ``SearchableImageClassifier`` subclasses mmpretrain's
``ImageClassifier``; defining it imports mmpretrain. To keep ``import
mmrazor.models`` free of upstream imports, its name is registered as a
builder that imports the defining module on first use; that module then
registers the real class in place of the builder (``force=True``).
"""
import importlib
from typing import Any, Callable

from mmengine.registry import Registry


def import_upstream_module(module_path: str, package: str) -> Any:
    """Import ``module_path``, naming ``package`` when it is missing.

    Args:
        module_path (str): The MMRazor module defining the class.
        package (str): The upstream package the class needs.

    Returns:
        module: The imported module.

    Raises:
        ImportError: ``package`` is not installed.
    """
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as e:
        if e.name is not None and e.name.split('.')[0] == package:
            raise ImportError(
                f'{module_path} needs the `{package}` package, which is not '
                f'installed; install it (e.g. `pip install {package}`)'
            ) from e
        raise


def register_lazy_class(registry: Registry, name: str, module_path: str,
                        package: str) -> Callable:
    """Register ``name`` in ``registry`` as a builder of the class that
    ``module_path`` defines (imported on first build).

    Args:
        registry (Registry): The registry (e.g. ``MODELS``).
        name (str): The class name.
        module_path (str): The module defining (and registering with
            ``force=True``) the real class.
        package (str): The upstream package the module imports.

    Returns:
        Callable: The builder.
    """

    def builder(*args, **kwargs):
        module = import_upstream_module(module_path, package)
        return getattr(module, name)(*args, **kwargs)

    builder.__name__ = name
    builder.__qualname__ = name
    builder.__module__ = module_path
    builder.lazy_target = (module_path, name)
    builder.__doc__ = f'Builds ``{module_path}.{name}`` (needs {package}).'
    if name not in registry.module_dict:
        registry.register_module(name=name, module=builder)
    return builder


def lazy_getattr(names: dict, package_name: str) -> Callable:
    """A module ``__getattr__`` resolving ``names`` (``{attr:
    (module_path, upstream_package)}``) on first access.

    Args:
        names (dict): Attribute name -> (module path, upstream package).
        package_name (str): ``__name__`` of the calling package.

    Returns:
        Callable: The ``__getattr__`` function.
    """

    def __getattr__(attr: str) -> Any:
        if attr in names:
            module_path, package = names[attr]
            return getattr(
                import_upstream_module(module_path, package), attr)
        raise AttributeError(
            f'module {package_name!r} has no attribute {attr!r}')

    return __getattr__
