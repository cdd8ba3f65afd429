# Copyright (c) OpenMMLab. All rights reserved.
from .algorithms import *  # noqa: F401,F403
from .architectures import *  # noqa: F401,F403
from .distillers import *  # noqa: F401,F403
from .fake_quants import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .mutables import *  # noqa: F401,F403
from .mutators import *  # noqa: F401,F403
from .observers import *  # noqa: F401,F403
from .quantizers import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
