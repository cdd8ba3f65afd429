# Copyright (c) OpenMMLab. All rights reserved.
from .auto_augment import AutoAugment
from .auto_augmentv2 import (AutoAugmentOp, AutoAugmentV2, AutoContrastV2,
                             BrightnessV2, Color, ContrastV2, EqualizeV2,
                             InvertV2, PosterizeV2, RotateV2, SharpnessV2,
                             ShearX, ShearY, SolarizeAddV2, SolarizeV2,
                             TranslateX, TranslateXRel, TranslateY,
                             TranslateYRel)
from .formatting import PackCRDClsInputs

__all__ = [
    'PackCRDClsInputs', 'AutoAugment', 'AutoAugmentV2', 'AutoAugmentOp',
    'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'TranslateXRel',
    'TranslateYRel', 'RotateV2', 'AutoContrastV2', 'InvertV2', 'EqualizeV2',
    'SolarizeV2', 'SolarizeAddV2', 'PosterizeV2', 'ContrastV2', 'Color',
    'BrightnessV2', 'SharpnessV2'
]
