# Copyright (c) OpenMMLab. All rights reserved.
"""Backward-compatible location; see
``mmrazor.implementations.pruning.group_fisher.unit``."""
from mmrazor.implementations.pruning.group_fisher.unit import (  # noqa
    GroupFisherChannelUnit)

__all__ = ['GroupFisherChannelUnit']
