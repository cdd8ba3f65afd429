# Copyright (c) OpenMMLab. All rights reserved.
from .channel_shuffle import channel_shuffle
from .se_layer import SELayer

__all__ = ['channel_shuffle', 'SELayer']
