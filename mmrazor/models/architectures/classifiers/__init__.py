# Copyright (c) OpenMMLab. All rights reserved.
"""Searchable classifiers; they subclass mmpretrain's ``ImageClassifier``
and are imported on first use (``import mmrazor.models`` does not import
mmpretrain)."""
from mmrazor.models.utils.lazy_register import (lazy_getattr,
                                                register_lazy_class)
from mmrazor.registry import MODELS

_LAZY = {'SearchableImageClassifier': (__name__ + '.image', 'mmpretrain')}
register_lazy_class(MODELS, 'SearchableImageClassifier',
                    *_LAZY['SearchableImageClassifier'])
__getattr__ = lazy_getattr(_LAZY, __name__)
