# Copyright (c) OpenMMLab. All rights reserved.
from . import distill, nas, pruning, quantization
from .base import BaseAlgorithm
from .distill import *  # noqa: F401,F403
from .nas import *  # noqa: F401,F403
from .pruning import *  # noqa: F401,F403
from .quantization import *  # noqa: F401,F403

__all__ = ['BaseAlgorithm']
for _family in (distill, nas, pruning, quantization):
    __all__ += list(getattr(_family, '__all__', []))

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
