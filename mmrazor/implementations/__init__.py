# Copyright (c) OpenMMLab. All rights reserved.
"""Algorithms implemented as self-contained libraries (registered in the
mmrazor registries when imported).

``quantization.gptq`` is not imported here; import it explicitly.
"""
from . import pruning

__all__ = ['pruning']
