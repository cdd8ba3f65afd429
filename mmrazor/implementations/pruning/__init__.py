# Copyright (c) OpenMMLab. All rights reserved.
from . import group_fisher, sparse_gpt

__all__ = ['group_fisher', 'sparse_gpt']

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
