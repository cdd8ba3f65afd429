# Copyright (c) OpenMMLab. All rights reserved.
from .base_handler import BaseHandler
from .carts_handler import CartsHandler
from .gp_handler import GaussProcessHandler
from .mlp_handler import MLPHandler
from .rbf_handler import RBFHandler

__all__ = [
    'BaseHandler', 'CartsHandler', 'GaussProcessHandler', 'MLPHandler',
    'RBFHandler'
]
