# Copyright (c) OpenMMLab. All rights reserved.
from .base_mutable import BaseMutable  # noqa: F401
from .derived_mutable import DerivedMethodMixin, DerivedMutable  # noqa: F401
from .mutable_module import *  # noqa: F401,F403
from .mutable_value import *  # noqa: F401,F403
from .mutable_channel import *  # noqa: F401,F403

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
