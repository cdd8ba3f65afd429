# Copyright (c) OpenMMLab. All rights reserved.
"""Backward-compatible location; see
``mmrazor.implementations.pruning.group_fisher.counters``."""
from mmrazor.implementations.pruning.group_fisher.counters import (  # noqa
    GroupFisherConv2dCounter, GroupFisherLinearCounter)

__all__ = ['GroupFisherConv2dCounter', 'GroupFisherLinearCounter']
