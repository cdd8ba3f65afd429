# Copyright (c) OpenMMLab. All rights reserved.
from .ite_prune_algorithm import (
    ItePruneAlgorithm,  # noqa: F401
    ItePruneConfigManager)
from .dmcp import DMCP, DMCPDDP  # noqa: F401
