# Copyright (c) OpenMMLab. All rights reserved.
"""FLOPs/params counters of the Group Fisher ops (active channels only)."""
from mmrazor.models.architectures.dynamic_ops.dynamic_counters import (
    DynamicConvCounter, DynamicLinearCounter)
from mmrazor.registry import TASK_UTILS


@TASK_UTILS.register_module()
class GroupFisherConv2dCounter(DynamicConvCounter):
    """Counter of :class:`GroupFisherConv2d` (the sliced weight)."""


@TASK_UTILS.register_module()
class GroupFisherLinearCounter(DynamicLinearCounter):
    """Counter of :class:`GroupFisherLinear` (the sliced weight)."""
