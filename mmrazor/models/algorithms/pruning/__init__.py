# Copyright (c) OpenMMLab. All rights reserved.
from .ite_prune_algorithm import (
    ItePruneAlgorithm,  # noqa: F401
    ItePruneConfigManager)
from .dmcp import DMCP, DMCPDDP  # noqa: F401
from .slimmable_network import (  # noqa: F401,E402
    SlimmableNetwork, SlimmableNetworkDDP)

__all__ = [
    'ItePruneAlgorithm', 'ItePruneConfigManager', 'DMCP', 'DMCPDDP',
    'SlimmableNetwork', 'SlimmableNetworkDDP'
]
from .dcff import DCFF  # noqa: F401,E402

__all__ += ['DCFF']
