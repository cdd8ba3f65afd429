# Copyright (c) OpenMMLab. All rights reserved.
"""Backward-compatible location; see
``mmrazor.implementations.pruning.group_fisher.algorithm``."""
from mmrazor.implementations.pruning.group_fisher.algorithm import (  # noqa
    GroupFisherAlgorithm, GroupFisherDDP)

__all__ = ['GroupFisherAlgorithm', 'GroupFisherDDP']
