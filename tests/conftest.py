# Copyright (c) OpenMMLab. All rights reserved.
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


@pytest.fixture(scope='session')
def repo_root():
    """The repository root."""
    return REPO


def _default_scope_restorer():
    from mmengine.registry import DefaultScope
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture(autouse=True, scope='module')
def _restore_default_scope_per_module():
    """Undo the scopes that module-scoped fixtures (a shared Runner) leave
    behind once their module is done."""
    yield from _default_scope_restorer()


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Give every test the MMEngine default scope it started with.

    Runners and ``init_default_scope`` leave a new current ``DefaultScope``
    behind (e.g. 'mmpretrain' for a digits config), after which bare type
    names of later tests would be looked up in that scope.
    """
    yield from _default_scope_restorer()
