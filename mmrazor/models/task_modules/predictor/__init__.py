# Copyright (c) OpenMMLab. All rights reserved.
from .handler import *  # noqa: F401,F403
from .metric_predictor import MetricPredictor

__all__ = [
    'MetricPredictor', 'BaseHandler', 'CartsHandler', 'GaussProcessHandler',
    'MLPHandler', 'RBFHandler'
]
