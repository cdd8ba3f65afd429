# Copyright (c) OpenMMLab. All rights reserved.
from .base_estimator import BaseEstimator
from .counters import *  # noqa: F401,F403
from .counters import __all__ as _counters_all
from .resource_estimator import ResourceEstimator

__all__ = ['BaseEstimator', 'ResourceEstimator'] + list(_counters_all)

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
