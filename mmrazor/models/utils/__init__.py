# Copyright (c) OpenMMLab. All rights reserved.
from .make_divisible import make_divisible
from .misc import add_prefix
from .optim_wrapper import reinitialize_optim_wrapper_count_status
from .parse_values import parse_values
from .utils import get_module_device, set_requires_grad, str2class

__all__ = [
    'make_divisible', 'add_prefix', 'reinitialize_optim_wrapper_count_status',
    'parse_values', 'get_module_device', 'set_requires_grad', 'str2class'
]
from .lazy_register import (import_upstream_module, lazy_getattr,  # noqa
                            register_lazy_class)

__all__ += ['register_lazy_class', 'lazy_getattr', 'import_upstream_module']
