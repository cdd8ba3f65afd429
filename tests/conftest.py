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


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Give every test the MMEngine default scope it started with.

    Runners and ``init_default_scope`` leave a new current ``DefaultScope``
    behind (e.g. 'mmpretrain' for a digits config), after which bare type
    names of later tests would be looked up in that scope.
    """
    from mmengine.registry import DefaultScope
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)
