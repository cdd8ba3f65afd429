# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint_state_hook import CheckpointStateHook

__all__ = ['CheckpointStateHook']
from .stop_distillation_hook import StopDistillHook  # noqa: F401
from .dump_subnet_hook import DumpSubnetHook  # noqa: F401
from .estimate_resources_hook import EstimateResourcesHook  # noqa: F401
from .non_finite_loss_hook import NonFiniteLossHook  # noqa: F401
from .dmcp_subnet_hook import DMCPSubnetHook  # noqa: F401

from .visualization_hook import RazorVisualizationHook  # noqa: F401,E402

from mmrazor.utils.reexport import subpackage_getattr  # noqa: E402 isort:skip

__getattr__ = subpackage_getattr(__name__)
