# Copyright (c) OpenMMLab. All rights reserved.
from .base_distiller import BaseDistiller
from .byot_distiller import BYOTDistiller
from .configurable_distiller import ConfigurableDistiller
from .ofd_distiller import OFDDistiller

__all__ = [
    'ConfigurableDistiller', 'BaseDistiller', 'BYOTDistiller', 'OFDDistiller'
]
