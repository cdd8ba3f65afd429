# Copyright (c) OpenMMLab. All rights reserved.
from .spos import SPOS

__all__ = ['SPOS']
from .autoslim import AutoSlim, AutoSlimDDP  # noqa: E402

__all__ += ['AutoSlim', 'AutoSlimDDP']
