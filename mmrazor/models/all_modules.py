# Copyright (c) OpenMMLab. All rights reserved.
"""Importing this module registers every component of ``mmrazor.models``.

It is the import location of the model-side registries (``MODELS``,
``TASK_UTILS``, ...), so ``MODELS.build(dict(type='mmrazor.X'))`` works
without importing anything first, although ``import mmrazor.models`` itself
imports no subpackage.
"""
from mmrazor.models import import_all

import_all()
