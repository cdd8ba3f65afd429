# Copyright (c) OpenMMLab. All rights reserved.
"""GPTQ: one-shot low-bit weight quantization (Frantar et al., 2023)."""
from .compressor import GPTQCompressor
from .export import (load_packed_checkpoint, packed_state,
                     save_packed_checkpoint)
from .ops import GPTQConv2d, GPTQLinear, GPTQMixIn
from .packed import (PackedGPTQConv2d, PackedGPTQLinear, pack_codes,
                     unpack_codes)
from .quantizer import Quantizer

__all__ = [
    'GPTQCompressor', 'GPTQMixIn', 'GPTQLinear', 'GPTQConv2d', 'Quantizer',
    'PackedGPTQLinear', 'PackedGPTQConv2d', 'pack_codes', 'unpack_codes',
    'packed_state', 'save_packed_checkpoint', 'load_packed_checkpoint'
]
