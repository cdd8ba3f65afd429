# Copyright (c) OpenMMLab. All rights reserved.
"""Backward-compatible location; see
``mmrazor.implementations.pruning.group_fisher.mutator``."""
from mmrazor.implementations.pruning.group_fisher.mutator import (  # noqa
    GroupFisherChannelMutator)

__all__ = ['GroupFisherChannelMutator']
