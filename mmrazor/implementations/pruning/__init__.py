# Copyright (c) OpenMMLab. All rights reserved.
from . import group_fisher, sparse_gpt

__all__ = ['group_fisher', 'sparse_gpt']
