# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import (UnsafeCheckpointError, load_from_local,
                         safe_torch_load)

__all__ = ['UnsafeCheckpointError', 'safe_torch_load', 'load_from_local']
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

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
