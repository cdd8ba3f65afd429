# Copyright (c) OpenMMLab. All rights reserved.
from .mutable_value import MutableValue, OneShotMutableValue

__all__ = ['MutableValue', 'OneShotMutableValue']
