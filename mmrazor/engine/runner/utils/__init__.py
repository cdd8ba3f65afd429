# Copyright (c) OpenMMLab. All rights reserved.
from .calibrate_bn_mixin import AverageMeter, CalibrateBNMixin
from .check import check_subnet_resources
from .genetic import crossover

__all__ = [
    'AverageMeter', 'CalibrateBNMixin', 'check_subnet_resources', 'crossover'
]
