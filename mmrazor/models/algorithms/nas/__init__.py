# Copyright (c) OpenMMLab. All rights reserved.
from .spos import SPOS

__all__ = ['SPOS']
from .darts import Darts, DartsDDP  # noqa: E402

__all__ += ['Darts', 'DartsDDP']
from .dsnas import DSNAS, DSNASDDP  # noqa: E402

__all__ += ['DSNAS', 'DSNASDDP']
from .bignas import BigNAS, BigNASDDP  # noqa: E402

__all__ += ['BigNAS', 'BigNASDDP']
from .autoformer import Autoformer  # noqa: E402

__all__ += ['Autoformer']
from .autoslim import AutoSlim, AutoSlimDDP  # noqa: E402

__all__ += ['AutoSlim', 'AutoSlimDDP']
