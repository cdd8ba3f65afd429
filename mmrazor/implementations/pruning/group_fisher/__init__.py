# Copyright (c) OpenMMLab. All rights reserved.
"""Group Fisher pruning (prune -> finetune -> deploy)."""
from .algorithm import GroupFisherAlgorithm, GroupFisherDDP
from .counters import GroupFisherConv2dCounter, GroupFisherLinearCounter
from .hook import PruningStructureHook, ResourceInfoHook
from .mutator import GroupFisherChannelMutator
from .ops import GroupFisherConv2d, GroupFisherLinear, GroupFisherMixin
from .prune_deploy_sub_model import GroupFisherDeploySubModel
from .prune_sub_model import GroupFisherSubModel
from .unit import GroupFisherChannelUnit

__all__ = [
    'GroupFisherAlgorithm', 'GroupFisherDDP', 'GroupFisherChannelMutator',
    'GroupFisherChannelUnit', 'GroupFisherConv2d', 'GroupFisherLinear',
    'GroupFisherMixin', 'GroupFisherConv2dCounter', 'GroupFisherLinearCounter',
    'PruningStructureHook', 'ResourceInfoHook', 'GroupFisherSubModel',
    'GroupFisherDeploySubModel'
]
