# Copyright (c) OpenMMLab. All rights reserved.
from .base import BaseObserver, reset_min_max_vals, reset_observer_stats
from .lsq import LSQObserver, LSQPerChannelObserver
from .torch_observers import register_torch_observers

__all__ = [
    'BaseObserver', 'LSQObserver', 'LSQPerChannelObserver',
    'register_torch_observers', 'reset_min_max_vals', 'reset_observer_stats'
]
