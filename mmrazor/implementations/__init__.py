# Copyright (c) OpenMMLab. All rights reserved.
"""Algorithms implemented as self-contained libraries (registered in the
mmrazor registries when imported).

``quantization.gptq`` is not imported here; import it explicitly.
"""
from . import pruning

__all__ = ['pruning']

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
