# Copyright (c) OpenMMLab. All rights reserved.
from .spos import SPOS

__all__ = ['SPOS']
from .bignas import BigNAS, BigNASDDP  # noqa: E402

__all__ += ['BigNAS', 'BigNASDDP']
from .autoformer import Autoformer  # noqa: E402

__all__ += ['Autoformer']
