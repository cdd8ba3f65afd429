# Copyright (c) OpenMMLab. All rights reserved.
from .bricks import *  # noqa: F401,F403
from .mixins import *  # noqa: F401,F403
from . import dynamic_counters  # noqa: F401
from mmrazor.models.utils.lazy_register import lazy_getattr  # noqa: E402
from .head import _LAZY as _HEAD_LAZY  # noqa: E402

# DynamicLinearClsHead (needs mmpretrain) resolves on first access
__getattr__ = lazy_getattr(_HEAD_LAZY, __name__)
from . import transformer_counters  # noqa: F401,E402
