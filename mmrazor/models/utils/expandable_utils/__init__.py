# Copyright (c) OpenMMLab. All rights reserved.
"""Widen the channels of a static model (e.g. make them divisible)."""
from .ops import ExpandableBatchNorm2d, ExpandableConv2d, ExpandLinear
from .tools import (expand_static_model, make_channel_divisible,
                    to_expandable_model)
from .unit import ExpandableUnit

__all__ = [
    'ExpandableUnit', 'ExpandableConv2d', 'ExpandLinear',
    'ExpandableBatchNorm2d', 'to_expandable_model', 'expand_static_model',
    'make_channel_divisible'
]
