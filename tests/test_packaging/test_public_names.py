# Copyright (c) OpenMMLab. All rights reserved.
"""Every registered class and every ``__all__`` name of the package is
importable from the paths users import it from: its defining module's
package and each parent package up to ``mmrazor.<top>`` (``from
mmrazor.engine import EvolutionSearchLoop``, ``from mmrazor.models import
ItePruneAlgorithm``)."""
import importlib
import pkgutil

import pytest
from mmengine.registry import Registry

import mmrazor


def registered_objects():
    from mmrazor import registry
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    found = {}
    for attr in dir(registry):
        reg = getattr(registry, attr)
        if not isinstance(reg, Registry):
            continue
        for key, obj in reg.module_dict.items():
            module = getattr(obj, '__module__', '') or ''
            if module.startswith('mmrazor.') and \
                    not module.startswith('mmrazor.testing'):
                found[(reg.name, key)] = obj
    return found


def _is_lazy_target(builder, found) -> bool:
    """A lazily registered builder stands for the class it imports."""
    target = getattr(builder, 'lazy_target', None)
    return target is not None and found is not None and (
        found.__module__, found.__name__) == target


def user_paths(obj):
    """``mmrazor.a``, ``mmrazor.a.b``, ... up to the defining module's
    package."""
    parts = obj.__module__.split('.')
    return ['.'.join(parts[:i]) for i in range(2, len(parts))]


def test_registered_classes_importable_from_user_paths():
    objects = registered_objects()
    assert len(objects) > 150, len(objects)
    missing = []
    for (reg, key), obj in sorted(objects.items()):
        for path in user_paths(obj):
            module = importlib.import_module(path)
            found = getattr(module, obj.__name__, None)
            if found is not obj and not _is_lazy_target(obj, found):
                missing.append(f'{obj.__name__} ({reg}) from {path}')
    assert not missing, '\n'.join(missing)


def test_examples_users_write():
    from mmrazor.engine import (DumpSubnetHook, EstimateResourcesHook,
                                EvolutionSearchLoop, ItePruneValLoop,
                                LSQEpochBasedLoop, PTQLoop, QATEpochBasedLoop,
                                QATValLoop, SelfDistillValLoop,
                                SeparateOptimWrapperConstructor,
                                SingleTeacherDistillValLoop, StopDistillHook)
    from mmrazor.models import ItePruneAlgorithm, SingleTeacherDistill
    from mmrazor.registry import LOOPS
    assert LOOPS.get('EvolutionSearchLoop') is EvolutionSearchLoop
    for loop in (ItePruneValLoop, LSQEpochBasedLoop, PTQLoop,
                 QATEpochBasedLoop, QATValLoop, SelfDistillValLoop,
                 SingleTeacherDistillValLoop):
        assert LOOPS.get(loop.__name__) is loop
    assert DumpSubnetHook and EstimateResourcesHook and StopDistillHook
    assert SeparateOptimWrapperConstructor.__name__ == \
        'SeparateOptimWrapperConstructor'
    assert ItePruneAlgorithm.__module__.startswith('mmrazor.models')
    assert SingleTeacherDistill.__module__.startswith('mmrazor.models')


def all_packages():
    return sorted(name for _, name, is_pkg in pkgutil.walk_packages(
        mmrazor.__path__, prefix='mmrazor.')
                  if is_pkg and not name.startswith('mmrazor.testing'))


@pytest.mark.parametrize('package', all_packages())
def test_dunder_all_names_exist(package):
    module = importlib.import_module(package)
    missing = [
        name for name in getattr(module, '__all__', [])
        if not hasattr(module, name)
    ]
    assert not missing, missing


def test_unknown_name_raises_attribute_error():
    import mmrazor.engine
    with pytest.raises(AttributeError, match='NoSuchLoop'):
        mmrazor.engine.NoSuchLoop
    with pytest.raises(ImportError):
        from mmrazor.models import NoSuchAlgorithm  # noqa: F401
