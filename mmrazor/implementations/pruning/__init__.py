# Copyright (c) OpenMMLab. All rights reserved.
from . import group_fisher  # noqa: F401
