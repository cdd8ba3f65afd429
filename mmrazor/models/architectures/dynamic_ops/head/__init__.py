# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic heads; they subclass mmpretrain heads and are imported on
first use (``import mmrazor.models`` does not import mmpretrain)."""
from mmrazor.models.utils.lazy_register import (lazy_getattr,
                                                register_lazy_class)
from mmrazor.registry import MODELS

_LAZY = {
    'DynamicLinearClsHead':
    (__name__ + '.dynamic_linear_head', 'mmpretrain'),
    'DynamicHead': (__name__ + '.dynamic_linear_head', 'mmpretrain'),
}
register_lazy_class(MODELS, 'DynamicLinearClsHead',
                    *_LAZY['DynamicLinearClsHead'])
__getattr__ = lazy_getattr(_LAZY, __name__)
