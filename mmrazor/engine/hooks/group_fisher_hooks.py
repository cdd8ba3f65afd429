# Copyright (c) OpenMMLab. All rights reserved.
"""Backward-compatible location; see
``mmrazor.implementations.pruning.group_fisher.hook``."""
from mmrazor.implementations.pruning.group_fisher.hook import (  # noqa
    PruningStructureHook, ResourceInfoHook)

__all__ = ['PruningStructureHook', 'ResourceInfoHook']
