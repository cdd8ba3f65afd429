# Copyright (c) OpenMMLab. All rights reserved.
import copy
import random
from typing import Dict, List, Sequence

from mmcv.transforms import BaseTransform

from mmrazor.registry import TRANSFORMS
from .auto_augment_ops import (AutoAugmentOp, AutoContrastV2, BrightnessV2,
                               Color, ContrastV2, EqualizeV2, InvertV2,
                               PosterizeV2, RotateV2, SharpnessV2, ShearX,
                               ShearY, SolarizeAddV2, SolarizeV2, TranslateX,
                               TranslateXRel, TranslateY, TranslateYRel)

__all__ = [
    'AutoAugmentV2', 'AutoAugmentOp', 'ShearX', 'ShearY', 'TranslateX',
    'TranslateY', 'TranslateXRel', 'TranslateYRel', 'RotateV2',
    'AutoContrastV2', 'InvertV2', 'EqualizeV2', 'SolarizeV2', 'SolarizeAddV2',
    'PosterizeV2', 'ContrastV2', 'Color', 'BrightnessV2', 'SharpnessV2'
]


@TRANSFORMS.register_module()
class AutoAugmentV2(BaseTransform):
    """AutoAugment with config-defined sub-policies (AttentiveNAS/BigNAS).

    Each call draws one sub-policy uniformly at random and applies its
    transforms in order. A sub-policy is a list of transform configs, e.g.
    ``[dict(type='mmrazor.EqualizeV2', prob=0.8, magnitude=1),
    dict(type='mmrazor.ShearY', prob=0.8, magnitude=4)]``.

    Args:
        policies (list[list[dict]]): The sub-policies.
    """

    def __init__(self, policies: Sequence[Sequence[Dict]]) -> None:
        if isinstance(policies, (str, bytes)) or \
                not isinstance(policies, Sequence) or not policies:
            raise ValueError('AutoAugmentV2: policies must be a non-empty '
                             'list of sub-policies (lists of transform '
                             f'configs), got {policies!r}')
        self.policies: List[List[BaseTransform]] = []
        for i, sub in enumerate(policies):
            if isinstance(sub, dict) or not isinstance(sub, Sequence) \
                    or not sub:
                raise ValueError(f'AutoAugmentV2: sub-policy {i} must be a '
                                 f'non-empty list of configs, got {sub!r}')
            ops = []
            for cfg in sub:
                if not isinstance(cfg, dict) or 'type' not in cfg:
                    raise ValueError(f'AutoAugmentV2: sub-policy {i} has '
                                     f'{cfg!r}; expected a transform '
                                     "config with a 'type'")
                ops.append(TRANSFORMS.build(copy.deepcopy(dict(cfg))))
            self.policies.append(ops)

    def transform(self, results: Dict) -> Dict:
        """Apply a randomly drawn sub-policy."""
        for op in random.choice(self.policies):
            results = op(results)
            if results is None:
                raise RuntimeError(f'AutoAugmentV2: {op!r} returned None '
                                   '(a transform that drops samples cannot '
                                   'be used in a policy)')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({len(self.policies)} sub-policies)'
