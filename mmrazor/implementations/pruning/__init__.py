# Copyright (c) OpenMMLab. All rights reserved.
from . import sparse_gpt

__all__ = ['sparse_gpt']
