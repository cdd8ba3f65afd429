# Copyright (c) OpenMMLab. All rights reserved.
from .bricks import *  # noqa: F401,F403
from .mixins import *  # noqa: F401,F403
from . import dynamic_counters  # noqa: F401
from .head import __getattr__  # noqa: F401,E402
from . import transformer_counters  # noqa: F401
