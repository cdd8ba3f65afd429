# Copyright (c) OpenMMLab. All rights reserved.
"""Demo inputs: fake batches that a model can be traced or run with."""
from typing import Dict, Optional, Sequence, Union

import torch
from torch import nn

from mmrazor.registry import TASK_UTILS
from mmrazor.utils.config_dict import as_config_dict


@TASK_UTILS.register_module()
class BaseDemoInput:
    """A random input of ``input_shape``.

    Args:
        input_shape (Sequence[int]): ``(N, C, H, W)``.
        training (bool, optional): Training-mode data (passed to the data
            preprocessor of mm models). Defaults to None (False).
        kwargs (dict): Merged into dict outputs. Defaults to {}.
    """

    default_shape = (1, 3, 224, 224)

    def __init__(self,
                 input_shape: Optional[Sequence[int]] = None,
                 training: Optional[bool] = None,
                 kwargs: Dict = {}) -> None:
        self.input_shape = tuple(input_shape) if input_shape is not None \
            else self.default_shape
        if len(self.input_shape) < 2:
            raise ValueError('input_shape must be (N, C, ...), got '
                             f'{self.input_shape}')
        self.training = bool(training)
        self.kwargs = dict(kwargs)

    def get_data(self,
                 model: nn.Module,
                 input_shape: Optional[Sequence[int]] = None,
                 training: Optional[bool] = None):
        """The demo data for ``model``."""
        shape = tuple(input_shape) if input_shape else self.input_shape
        training = self.training if training is None else training
        data = self._get_data(model, shape, training)
        if isinstance(data, dict):
            data.update(self.kwargs)
        return data

    def _get_data(self, model, input_shape, training):
        return torch.rand(input_shape)

    def __call__(self,
                 model: Optional[nn.Module] = None,
                 input_shape: Optional[Sequence[int]] = None,
                 training: Optional[bool] = None):
        return self.get_data(model, input_shape, training)


@TASK_UTILS.register_module()
class DefaultMMDemoInput(BaseDemoInput):
    """``{'inputs', 'data_samples', 'mode': 'tensor'}`` after the model's
    data preprocessor (any mmengine ``BaseModel``)."""

    def _data_samples(self, input_shape):
        return None

    def _get_data(self, model, input_shape, training):
        n, c, *spatial = input_shape
        inputs = [
            torch.randint(0, 256, (c, *spatial)).float() for _ in range(n)
        ]
        data = dict(
            inputs=inputs, data_samples=self._data_samples(input_shape))
        pre = getattr(model, 'data_preprocessor', None)
        if pre is not None:
            data = dict(pre(data, training))
        else:
            data['inputs'] = torch.stack(inputs)
        data['mode'] = 'tensor'
        return data


@TASK_UTILS.register_module()
class DefaultMMClsDemoInput(DefaultMMDemoInput):
    """Demo input for mmpretrain/mmcls classifiers."""

    def _data_samples(self, input_shape):
        from mmpretrain.structures import DataSample
        return [DataSample().set_gt_label(0) for _ in range(input_shape[0])]


@TASK_UTILS.register_module()
class DefaultMMDetDemoInput(DefaultMMDemoInput):
    """Demo input for mmdet detectors."""

    def _data_samples(self, input_shape):
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData
        h, w = input_shape[-2:]
        samples = []
        for _ in range(input_shape[0]):
            s = DetDataSample(
                metainfo=dict(
                    img_shape=(h, w),
                    ori_shape=(h, w),
                    pad_shape=(h, w),
                    scale_factor=(1.0, 1.0),
                    batch_input_shape=(h, w)))
            s.gt_instances = InstanceData(
                bboxes=torch.tensor([[0., 0., w / 2, h / 2]]),
                labels=torch.tensor([0]))
            samples.append(s)
        return samples


@TASK_UTILS.register_module()
class DefaultMMSegDemoInput(DefaultMMDemoInput):
    """Demo input for mmseg segmentors."""

    def _data_samples(self, input_shape):
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        h, w = input_shape[-2:]
        samples = []
        for _ in range(input_shape[0]):
            s = SegDataSample(
                metainfo=dict(
                    img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
            s.gt_sem_seg = PixelData(data=torch.zeros(1, h, w).long())
            samples.append(s)
        return samples


@TASK_UTILS.register_module()
class DefaultMMPoseDemoInput(DefaultMMDemoInput):
    """Demo input for mmpose (1.x) pose estimators: one whole-image person
    box per sample, with the metainfo the pose data preprocessor and the
    top-down heads read.

    A head built for one input size (``head.input_size = (w, h)``, e.g.
    the SimCC head of RTMPose, whose linear layer takes the flattened
    feature map) gets that size instead of the requested spatial size.
    """

    def _get_data(self, model, input_shape, training):
        fixed = getattr(getattr(model, 'head', None), 'input_size', None)
        if isinstance(fixed, (tuple, list)) and len(fixed) == 2 and \
                len(input_shape) == 4:
            input_shape = (*input_shape[:2], int(fixed[1]), int(fixed[0]))
        return super()._get_data(model, input_shape, training)

    def _data_samples(self, input_shape):
        try:
            from mmpose.structures import PoseDataSample
        except ImportError as error:
            raise ImportError(
                'DefaultMMPoseDemoInput needs mmpose (1.x), which is not '
                'installed: bash tools/setup_env.sh --mmpose '
                f'({error})') from error
        import numpy as np
        from mmengine.structures import InstanceData
        h, w = input_shape[-2:]
        samples = []
        for _ in range(input_shape[0]):
            s = PoseDataSample(
                metainfo=dict(
                    img_shape=(h, w),
                    ori_shape=(h, w),
                    input_size=(w, h),
                    input_center=np.array([w / 2, h / 2], dtype=np.float32),
                    input_scale=np.array([w, h], dtype=np.float32)))
            s.gt_instances = InstanceData(
                bboxes=np.array([[0., 0., w, h]], dtype=np.float32),
                bbox_scores=np.ones(1, dtype=np.float32))
            samples.append(s)
        return samples


_SCOPE_CLASSES = {
    'mmcls': DefaultMMClsDemoInput,
    'mmpretrain': DefaultMMClsDemoInput,
    'mmdet': DefaultMMDetDemoInput,
    'mmseg': DefaultMMSegDemoInput,
    'mmpose': DefaultMMPoseDemoInput,
    'torchvision': BaseDemoInput,
}


def _class_for_model(model: nn.Module):
    """Pick by the model's classes (no upstream import needed)."""
    from mmengine.model import BaseModel
    if not isinstance(model, BaseModel):
        return BaseDemoInput
    for klass in type(model).__mro__:
        mod, name = klass.__module__, klass.__name__
        if mod.startswith(('mmpretrain.', 'mmcls.')) and \
                name == 'ImageClassifier':
            return DefaultMMClsDemoInput
        if mod.startswith('mmdet.') and name == 'BaseDetector':
            return DefaultMMDetDemoInput
        if mod.startswith('mmseg.') and name == 'BaseSegmentor':
            return DefaultMMSegDemoInput
        if mod.startswith('mmpose.') and name == 'BasePoseEstimator':
            return DefaultMMPoseDemoInput
    return DefaultMMDemoInput


@TASK_UTILS.register_module()
class DefaultDemoInput(BaseDemoInput):
    """Picks the demo input by ``scope`` or by the model type.

    Args:
        input_shape (Sequence[int], optional): Defaults to
            ``(1, 3, 224, 224)``.
        training (bool): Defaults to False.
        scope (str, optional): 'mmcls', 'mmdet', 'mmseg', 'mmpose',
            'torchvision', ...; None picks by model type.
        kwargs (dict): Merged into dict outputs.
    """

    def __init__(self,
                 input_shape: Optional[Sequence[int]] = None,
                 training: bool = False,
                 scope: Optional[str] = None,
                 kwargs: Dict = {}) -> None:
        super().__init__(input_shape, training, kwargs)
        if scope is not None and scope not in _SCOPE_CLASSES and \
                scope != 'mmrazor':
            raise ValueError(f'unknown demo-input scope {scope!r}; known: '
                             f'{sorted(_SCOPE_CLASSES)}')
        self.scope = scope

    def _get_data(self, model, input_shape, training):
        from mmrazor.models.algorithms.base import BaseAlgorithm

        # the MRO, not isinstance (the ABC check of another class walks
        # every algorithm class; no virtual subclasses)
        if BaseAlgorithm in type(model).__mro__:
            model = model.architecture
        cls = _SCOPE_CLASSES.get(self.scope) if self.scope else None
        if cls is None:
            cls = _class_for_model(model)
        return cls(input_shape, training)._get_data(model, input_shape,
                                                    training)


def build_demo_input(
    demo_input: Union[Sequence[int], Dict, BaseDemoInput,
                      None]) -> BaseDemoInput:
    """A demo input from a shape, a config or an instance."""
    if demo_input is None:
        return DefaultDemoInput()
    if isinstance(demo_input, BaseDemoInput):
        return demo_input
    demo_input = as_config_dict(demo_input)
    if isinstance(demo_input, dict):
        return TASK_UTILS.build(demo_input)
    if isinstance(demo_input, (list, tuple)):
        return DefaultDemoInput(input_shape=tuple(demo_input))
    raise TypeError('demo_input must be a shape, a config dict or a '
                    f'BaseDemoInput, got {type(demo_input).__name__}')
