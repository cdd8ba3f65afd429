# Copyright (c) OpenMMLab. All rights reserved.
from .graph import *  # noqa: F401,F403
from .quantization import *  # noqa: F401,F403
from .subnet import *  # noqa: F401,F403

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
