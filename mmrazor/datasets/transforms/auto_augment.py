# Copyright (c) OpenMMLab. All rights reserved.
import random
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmcv.transforms import BaseTransform

from mmrazor.registry import TRANSFORMS
from .auto_augment_ops import OP_NAMES, AutoAugmentOp, merge_extra_params

PolicyType = List[List[Tuple[str, float, float]]]

#: The ImageNet policy of the AutoAugment paper (Cubuk et al., 2019).
POLICY_ORIGINAL: PolicyType = [
    [('PosterizeOriginal', 0.4, 8), ('Rotate', 0.6, 9)],
    [('Solarize', 0.6, 5), ('AutoContrast', 0.6, 5)],
    [('Equalize', 0.8, 8), ('Equalize', 0.6, 3)],
    [('PosterizeOriginal', 0.6, 7), ('PosterizeOriginal', 0.6, 6)],
    [('Equalize', 0.4, 7), ('Solarize', 0.2, 4)],
    [('Equalize', 0.4, 4), ('Rotate', 0.8, 8)],
    [('Solarize', 0.6, 3), ('Equalize', 0.6, 7)],
    [('PosterizeOriginal', 0.8, 5), ('Equalize', 1.0, 2)],
    [('Rotate', 0.2, 3), ('Solarize', 0.6, 8)],
    [('Equalize', 0.6, 8), ('PosterizeOriginal', 0.4, 6)],
    [('Rotate', 0.8, 8), ('Color', 0.4, 0)],
    [('Rotate', 0.4, 9), ('Equalize', 0.6, 2)],
    [('Equalize', 0.0, 7), ('Equalize', 0.8, 8)],
    [('Invert', 0.6, 4), ('Equalize', 1.0, 8)],
    [('Color', 0.6, 4), ('Contrast', 1.0, 8)],
    [('Rotate', 0.8, 8), ('Color', 1.0, 2)],
    [('Color', 0.8, 8), ('Solarize', 0.8, 7)],
    [('Sharpness', 0.4, 7), ('Invert', 0.6, 8)],
    [('ShearX', 0.6, 5), ('Equalize', 1.0, 9)],
    [('Color', 0.4, 0), ('Equalize', 0.6, 3)],
    [('Equalize', 0.4, 7), ('Solarize', 0.2, 4)],
    [('Solarize', 0.6, 5), ('AutoContrast', 0.6, 5)],
    [('Invert', 0.6, 4), ('Equalize', 1.0, 8)],
    [('Color', 0.6, 4), ('Contrast', 1.0, 8)],
    [('Equalize', 0.8, 8), ('Equalize', 0.6, 3)],
]

#: The "v0" ImageNet policy of the TensorFlow EfficientNet implementation
#: (translations relative to the image size).
POLICY_V0: PolicyType = [
    [('Equalize', 0.8, 1), ('ShearY', 0.8, 4)],
    [('Color', 0.4, 9), ('Equalize', 0.6, 3)],
    [('Color', 0.4, 1), ('Rotate', 0.6, 8)],
    [('Solarize', 0.8, 3), ('Equalize', 0.4, 7)],
    [('Solarize', 0.4, 2), ('Solarize', 0.6, 2)],
    [('Color', 0.2, 0), ('Equalize', 0.8, 8)],
    [('Equalize', 0.4, 8), ('SolarizeAdd', 0.8, 3)],
    [('ShearX', 0.2, 9), ('Rotate', 0.6, 8)],
    [('Color', 0.6, 1), ('Equalize', 1.0, 2)],
    [('Invert', 0.4, 9), ('Rotate', 0.6, 0)],
    [('Equalize', 1.0, 9), ('ShearY', 0.6, 3)],
    [('Color', 0.4, 7), ('Equalize', 0.6, 0)],
    [('Posterize', 0.4, 6), ('AutoContrast', 0.4, 7)],
    [('Solarize', 0.6, 8), ('Color', 0.6, 9)],
    [('Solarize', 0.2, 4), ('Rotate', 0.8, 9)],
    [('Rotate', 1.0, 7), ('TranslateYRel', 0.8, 9)],
    [('ShearX', 0.0, 0), ('Solarize', 0.8, 4)],
    [('ShearY', 0.8, 0), ('Color', 0.6, 4)],
    [('Color', 1.0, 0), ('Rotate', 0.6, 2)],
    [('Equalize', 0.8, 4), ('Equalize', 0.0, 8)],
    [('Equalize', 1.0, 4), ('AutoContrast', 0.6, 2)],
    [('ShearY', 0.4, 7), ('SolarizeAdd', 0.6, 7)],
    [('Posterize', 0.8, 2), ('Solarize', 0.6, 10)],
    [('Solarize', 0.6, 8), ('Equalize', 0.6, 1)],
    [('Color', 0.8, 6), ('Rotate', 0.4, 5)],
]

NAMED_POLICIES = dict(original=POLICY_ORIGINAL, v0=POLICY_V0)


@TRANSFORMS.register_module()
class AutoAugment(BaseTransform):
    """AutoAugment with the ImageNet policies of timm (PIL based).

    Each call draws one sub-policy uniformly at random and applies its
    operations in order, each with its own probability and magnitude.

    Args:
        policies (str | list): ``'original'`` (the AutoAugment paper's
            ImageNet policy), ``'v0'`` (the EfficientNet policy) or a list
            of sub-policies, each a list of ``(op_name, prob, magnitude)``
            with op names of
            :data:`~mmrazor.datasets.transforms.auto_augment_ops.OP_NAMES`.
            Defaults to ``'original'``.
        extra_params (dict, optional): Parameters of the operations
            (``translate_const``, ``translate_pct``, ``img_mean``,
            ``interpolation``, ``channel_order``). Defaults to None.
    """

    def __init__(self,
                 policies: Union[str, Sequence] = 'original',
                 extra_params: Optional[Dict] = None) -> None:
        merge_extra_params(extra_params, 'AutoAugment')
        if isinstance(policies, str):
            if policies not in NAMED_POLICIES:
                raise ValueError(f'AutoAugment: unknown policies '
                                 f'{policies!r}, expected one of '
                                 f'{sorted(NAMED_POLICIES)} or a list of '
                                 'sub-policies')
            policy_name, policies = policies, NAMED_POLICIES[policies]
        else:
            policy_name = 'custom'
        if not isinstance(policies, Sequence) or not policies:
            raise ValueError('AutoAugment: policies must be a non-empty list '
                             f'of sub-policies, got {policies!r}')
        self.policy_name = policy_name
        self.extra_params = extra_params
        self.policies: List[List[AutoAugmentOp]] = []
        for i, sub in enumerate(policies):
            if not isinstance(sub, Sequence) or not sub:
                raise ValueError(f'AutoAugment: sub-policy {i} must be a '
                                 f'non-empty list, got {sub!r}')
            ops = []
            for item in sub:
                if not isinstance(item, Sequence) or len(item) != 3:
                    raise ValueError(f'AutoAugment: sub-policy {i} has '
                                     f'{item!r}; expected (op_name, prob, '
                                     'magnitude)')
                name, prob, magnitude = item
                if name not in OP_NAMES:
                    raise ValueError(f'AutoAugment: unknown operation '
                                     f'{name!r} in sub-policy {i}, '
                                     f'expected one of {sorted(OP_NAMES)}')
                ops.append(OP_NAMES[name](prob, magnitude, extra_params))
            self.policies.append(ops)

    def transform(self, results: Dict) -> Dict:
        """Apply a randomly drawn sub-policy to ``results['img']``."""
        for op in random.choice(self.policies):
            results = op(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(policies={self.policy_name!r}, '
                f'{len(self.policies)} sub-policies)')
