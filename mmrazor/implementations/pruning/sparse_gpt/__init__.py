# Copyright (c) OpenMMLab. All rights reserved.
"""SparseGPT: one-shot pruning of large models (Frantar & Alistarh,
2023)."""
from .compressor import SparseGptCompressor
from .ops import SparseGptConv2d, SparseGptLinear, SparseGptMixIn
from .utils import (is_weight_sparse_24, memory_efficient_forward,
                    replace_with_dynamic_ops, torch_setting)

__all__ = [
    'SparseGptCompressor', 'SparseGptLinear', 'SparseGptConv2d',
    'SparseGptMixIn', 'replace_with_dynamic_ops', 'memory_efficient_forward',
    'torch_setting', 'is_weight_sparse_24'
]
