# Copyright (c) OpenMMLab. All rights reserved.
"""Heads; those subclassing mmpretrain heads are imported on first use
(``import mmrazor.models`` does not import mmpretrain)."""
from mmrazor.models.utils.lazy_register import (lazy_getattr,
                                                register_lazy_class)
from mmrazor.registry import MODELS
from .darts_subnet_head import DartsSubnetClsHead

__all__ = ['DartsSubnetClsHead']

_LAZY = {'DeiTClsHead': (__name__ + '.deit_head', 'mmpretrain')}
register_lazy_class(MODELS, 'DeiTClsHead', *_LAZY['DeiTClsHead'])
__getattr__ = lazy_getattr(_LAZY, __name__)
