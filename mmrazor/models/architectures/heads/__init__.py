# Copyright (c) OpenMMLab. All rights reserved.
from .darts_subnet_head import DartsSubnetClsHead

__all__ = ['DartsSubnetClsHead']
