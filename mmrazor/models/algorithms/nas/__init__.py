# Copyright (c) OpenMMLab. All rights reserved.
from .spos import SPOS

__all__ = ['SPOS']
