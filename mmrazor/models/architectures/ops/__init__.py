# Copyright (c) OpenMMLab. All rights reserved.
from .base import BaseOP
from .common import Identity
from .darts_series import (DartsDilConv, DartsPoolBN, DartsSepConv,
                           DartsSkipConnect, DartsZero)
from .efficientnet_series import ConvBnAct, DepthwiseSeparableConv
from .mobilenet_series import MBBlock, ShortcutLayer
from .shufflenet_series import ShuffleBlock, ShuffleXception
from .transformer_series import MultiheadAttention, RelativePosition2D

__all__ = [
    'BaseOP', 'Identity', 'ConvBnAct', 'DepthwiseSeparableConv', 'MBBlock',
    'ShortcutLayer', 'ShuffleBlock', 'ShuffleXception', 'MultiheadAttention',
    'RelativePosition2D'
]
__all__ += [
    'DartsPoolBN', 'DartsDilConv', 'DartsSepConv', 'DartsSkipConnect',
    'DartsZero'
]
