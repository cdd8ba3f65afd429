# Copyright (c) OpenMMLab. All rights reserved.
"""Image classifier with a searchable input size and a searchable head
(needs mmpretrain)."""
from typing import Dict, List, Optional

import torch
from mmpretrain.models.classifiers import ImageClassifier

from mmrazor.registry import MODELS


def _normalize_sizes(input_sizes) -> List[List[int]]:
    if not isinstance(input_sizes, (list, tuple)) or not input_sizes:
        raise ValueError('input_resizer_cfg.input_sizes must be a non-empty '
                         f'list of [h, w] pairs, got {input_sizes!r}')
    sizes = []
    for size in input_sizes:
        if isinstance(size, int):
            size = [size, size]
        if not isinstance(size, (list, tuple)) or len(size) != 2 or \
                not all(isinstance(s, int) and s > 0 for s in size):
            raise ValueError('input_resizer_cfg.input_sizes must hold [h, w] '
                             f'pairs of positive ints, got {size!r}')
        sizes.append([int(size[0]), int(size[1])])
    return sizes


@MODELS.register_module(force=True)
class SearchableImageClassifier(ImageClassifier):
    """mmcls ``ImageClassifier`` with an optional searchable input size and
    a head wired to the backbone's search space.

    Args:
        backbone (dict): The (searchable) backbone.
        neck (dict, optional): The neck.
        head (dict, optional): The head.
        pretrained (str, optional): Deprecated pretrained path.
        train_cfg (dict, optional): Training config (batch augments).
        data_preprocessor (dict, optional): The data preprocessor.
        init_cfg (dict, optional): Initialization config.
        input_resizer_cfg (dict, optional): ``dict(input_sizes=[[h, w],
            ...], interpolation_type='bicubic', align_corners=False)``:
            builds a :class:`DynamicInputResizer` whose shape is an
            ``OneShotMutableValue`` with alias ``input_shape`` over
            ``input_sizes`` (default: the largest). The input is resized
            before the backbone.
        connect_head (dict, optional): ``{head_method: 'component.attr'}``,
            e.g. ``dict(connect_with_backbone=
            'backbone.last_mutable_channels')`` calls
            ``head.connect_with_backbone(backbone.last_mutable_channels)``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 input_resizer_cfg: Optional[Dict] = None,
                 connect_head: Optional[Dict[str, str]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if connect_head is not None:
            self._connect_head(connect_head)
        if input_resizer_cfg is not None:
            self.input_resizer = self._build_input_resizer(input_resizer_cfg)
        else:
            self.input_resizer = None

    def _connect_head(self, connect_head: Dict[str, str]) -> None:
        if not self.with_head:
            raise ValueError('connect_head is set but the classifier has no '
                             'head')
        for method, path in connect_head.items():
            func = getattr(self.head, method, None)
            if not callable(func):
                raise AttributeError(
                    f'connect_head: head {type(self.head).__name__} has no '
                    f'method `{method}`')
            value = self
            for attr in str(path).split('.'):
                if not hasattr(value, attr):
                    raise AttributeError(
                        f'connect_head[{method!r}]: `{path}` does not exist '
                        f'({type(value).__name__} has no `{attr}`)')
                value = getattr(value, attr)
            func(value)

    @staticmethod
    def _build_input_resizer(cfg: Dict):
        from mmrazor.models.architectures.dynamic_ops import \
            DynamicInputResizer
        from mmrazor.models.mutables import OneShotMutableValue
        cfg = dict(cfg)
        cfg.pop('type', None)
        if 'input_sizes' not in cfg:
            raise KeyError('input_resizer_cfg needs `input_sizes` (a list of '
                           f'[h, w]); got keys {sorted(cfg)}')
        sizes = _normalize_sizes(cfg.pop('input_sizes'))
        resizer = DynamicInputResizer(**cfg)
        mutable_shape = OneShotMutableValue(
            value_list=sizes, alias='input_shape')
        resizer.register_mutable_attr('shape', mutable_shape)
        return resizer

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        """Resize the inputs (input-size search), then extract features."""
        if self.input_resizer is not None:
            inputs = self.input_resizer(inputs)
        return super().extract_feat(inputs, stage)
