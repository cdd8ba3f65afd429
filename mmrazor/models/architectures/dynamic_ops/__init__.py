# Copyright (c) OpenMMLab. All rights reserved.
from .bricks import *  # noqa: F401,F403
from .mixins import *  # noqa: F401,F403
from . import dynamic_counters, transformer_counters  # noqa: F401,I001
from mmrazor.models.utils.lazy_register import lazy_getattr  # noqa: E402
from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402
from .head import _LAZY as _HEAD_LAZY  # noqa: E402

_head_getattr = lazy_getattr(_HEAD_LAZY, __name__)
_subpackage_getattr = subpackage_getattr(__name__)


def __getattr__(name: str):
    """Dynamic heads (they need mmpretrain) resolve on first access; other
    public names of the sub-packages resolve through them."""
    if name in _HEAD_LAZY:
        return _head_getattr(name)
    return _subpackage_getattr(name)
