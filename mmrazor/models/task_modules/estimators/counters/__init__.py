# Copyright (c) OpenMMLab. All rights reserved.
from .flops_params_counter import get_counter_type, get_model_flops_params
from .latency_counter import get_model_latency
from .op_counters import *  # noqa: F401,F403
from .op_counters import __all__ as _op_all

__all__ = ['get_model_flops_params', 'get_model_latency', 'get_counter_type'
           ] + list(_op_all)

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
