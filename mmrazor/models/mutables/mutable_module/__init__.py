# Copyright (c) OpenMMLab. All rights reserved.
from .diff_mutable_module import (DiffChoiceRoute, DiffMutableModule,
                                  DiffMutableOP, GumbelChoiceRoute)
from .mutable_module import MutableModule
from .one_hot_mutable_module import OneHotMutableOP
from .one_shot_mutable_module import (OneShotMutableModule, OneShotMutableOP,
                                      OneShotProbMutableOP)

__all__ = [
    'MutableModule', 'OneShotMutableModule', 'OneShotMutableOP',
    'OneShotProbMutableOP', 'DiffMutableModule', 'DiffMutableOP',
    'DiffChoiceRoute', 'GumbelChoiceRoute'
]
__all__ += ['OneHotMutableOP']
