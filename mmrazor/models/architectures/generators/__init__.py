# Copyright (c) OpenMMLab. All rights reserved.
from .base_generator import BaseGenerator
from .dafl_generator import DAFLGenerator
from .zskt_generator import ZSKTGenerator

__all__ = ['BaseGenerator', 'DAFLGenerator', 'ZSKTGenerator']
