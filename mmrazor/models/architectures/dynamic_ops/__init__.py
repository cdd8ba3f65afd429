# Copyright (c) OpenMMLab. All rights reserved.
from .bricks import *  # noqa: F401,F403
from .mixins import *  # noqa: F401,F403
from . import dynamic_counters  # noqa: F401

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
