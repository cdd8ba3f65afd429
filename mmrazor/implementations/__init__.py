# Copyright (c) OpenMMLab. All rights reserved.
"""Unregistered implementation libraries.

``quantization.gptq`` is not imported here; import it explicitly.
"""
from . import pruning

__all__ = ['pruning']
