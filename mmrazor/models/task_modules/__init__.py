# Copyright (c) OpenMMLab. All rights reserved.
from .delivery import *  # noqa: F401,F403
from .demo_inputs import *  # noqa: F401,F403
from .estimators import *  # noqa: F401,F403
from .predictor import *  # noqa: F401,F403
from .recorder import *  # noqa: F401,F403
from .tracer import *  # noqa: F401,F403

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
