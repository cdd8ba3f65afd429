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
