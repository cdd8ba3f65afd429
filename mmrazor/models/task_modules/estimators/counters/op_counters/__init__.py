# Copyright (c) OpenMMLab. All rights reserved.
from .activation_layer_counter import (ActivationCounter, ELUCounter,
                                       LeakyReLUCounter, PReLUCounter,
                                       ReLU6Counter, ReLUCounter)
from .base_counter import BaseCounter
from .conv_layer_counter import (Conv1dCounter, Conv2dCounter, Conv3dCounter,
                                 ConvCounter, ConvTranspose2dCounter)
from .linear_layer_counter import LinearCounter
from .norm_layer_counter import (BatchNorm1dCounter, BatchNorm2dCounter,
                                 BatchNorm3dCounter, BNCounter,
                                 GroupNormCounter, InstanceNorm1dCounter,
                                 InstanceNorm2dCounter, InstanceNorm3dCounter,
                                 LayerNormCounter)
from .pooling_layer_counter import *  # noqa: F401,F403
from .pooling_layer_counter import PoolCounter
from .transformer_layer_counter import RelativePosition2DCounter
from .upsample_layer_counter import UpsampleCounter

__all__ = [
    'ActivationCounter', 'ELUCounter', 'LeakyReLUCounter', 'PReLUCounter',
    'ReLU6Counter', 'ReLUCounter', 'BaseCounter', 'Conv1dCounter',
    'Conv2dCounter', 'Conv3dCounter', 'ConvCounter', 'ConvTranspose2dCounter',
    'LinearCounter', 'BatchNorm1dCounter', 'BatchNorm2dCounter',
    'BatchNorm3dCounter', 'BNCounter', 'GroupNormCounter',
    'InstanceNorm1dCounter', 'InstanceNorm2dCounter', 'InstanceNorm3dCounter',
    'LayerNormCounter', 'UpsampleCounter', 'PoolCounter',
    'RelativePosition2DCounter'
]
