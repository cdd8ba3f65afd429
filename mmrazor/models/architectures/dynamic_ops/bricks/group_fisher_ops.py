# Copyright (c) OpenMMLab. All rights reserved.
"""Backward-compatible location; see
``mmrazor.implementations.pruning.group_fisher.ops``."""
from mmrazor.implementations.pruning.group_fisher.ops import (  # noqa
    GroupFisherConv2d, GroupFisherLinear, GroupFisherMixin)

__all__ = ['GroupFisherConv2d', 'GroupFisherLinear', 'GroupFisherMixin']
