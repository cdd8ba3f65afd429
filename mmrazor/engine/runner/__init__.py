# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import (InvalidCheckpointError, UnsafeCheckpointError,
                         load_from_local, safe_torch_load)

__all__ = [
    'UnsafeCheckpointError', 'safe_torch_load', 'load_from_local',
    'InvalidCheckpointError'
]
from .quantization_loops import (
    LSQEpochBasedLoop,
    PTQLoop,  # noqa: F401
    QATEpochBasedLoop,
    QATValLoop)
from .evolution_search_loop import EvolutionSearchLoop  # noqa: F401
from .utils import (
    AverageMeter,
    CalibrateBNMixin,  # noqa: F401
    check_subnet_resources,
    crossover)
from .distill_val_loop import (
    SelfDistillValLoop,  # noqa: F401
    SingleTeacherDistillValLoop)
from .ite_prune_val_loop import ItePruneValLoop  # noqa: F401
from .atomic_backend import AtomicLocalBackend  # noqa: F401
from .darts_loop import (
    DartsEpochBasedTrainLoop,  # noqa: F401
    DartsIterBasedTrainLoop)
from .subnet_val_loop import SubnetValLoop  # noqa: F401,E402
from .subnet_sampler_loop import GreedySamplerTrainLoop  # noqa: F401,E402
from .slimmable_val_loop import SlimmableValLoop  # noqa: F401,E402
from .autoslim_greedy_search_loop import \
    AutoSlimGreedySearchLoop  # noqa: F401,E402

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
