# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmrazor.models import BaseAlgorithm
from mmrazor.registry import MODELS


def classifier_cfg():
    return dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=10,
            mean=[1.0],
            std=[2.0]),
        backbone=dict(
            type='mmcls.ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='mmcls.CrossEntropyLoss')))


def batch(n=4):
    from mmpretrain.structures import DataSample
    inputs = torch.rand(n, 1, 16, 16)
    samples = [DataSample().set_gt_label(i % 10) for i in range(n)]
    return inputs, samples


def test_build_from_config_and_default_preprocessor():
    algo = MODELS.build(
        dict(type='BaseAlgorithm', architecture=classifier_cfg()))
    assert algo.data_preprocessor is algo.architecture.data_preprocessor
    assert algo.data_preprocessor.mean.flatten().tolist() == [1.0]


def test_build_from_model_and_explicit_preprocessor():
    arch = MODELS.build(classifier_cfg())
    pre = dict(type='mmengine.BaseDataPreprocessor')
    algo = BaseAlgorithm(arch, data_preprocessor=pre)
    assert algo.architecture is arch
    assert type(algo.data_preprocessor).__name__ == 'BaseDataPreprocessor'


def test_architecture_type_error():
    with pytest.raises(TypeError, match='architecture should be'):
        BaseAlgorithm(architecture=3)


@pytest.mark.parametrize('module_inplace', [False, True])
def test_module_inplace(module_inplace):
    arch = MODELS.build(classifier_cfg())
    relus = [m for m in arch.modules() if isinstance(m, nn.ReLU)]
    assert relus and all(r.inplace for r in relus)
    BaseAlgorithm(arch, module_inplace=module_inplace)
    assert all(r.inplace == module_inplace for r in relus)


def test_forward_modes():
    algo = MODELS.build(
        dict(type='BaseAlgorithm', architecture=classifier_cfg()))
    inputs, samples = batch()
    losses = algo(inputs, samples, mode='loss')
    assert set(losses) == {'loss'} and losses['loss'].ndim == 0
    feats = algo(inputs, samples, mode='tensor')
    assert feats.shape == (4, 10)
    algo.eval()
    preds = algo(inputs, samples, mode='predict')
    assert len(preds) == 4 and preds[0].pred_score.shape == (10, )
    with pytest.raises(RuntimeError) as info:
        algo(inputs, samples, mode='train')
    assert 'Invalid mode "train"' in str(info.value)
    for mode in ('loss', 'tensor', 'predict'):
        assert mode in str(info.value)


def test_train_step_updates_weights():
    from mmengine.optim import OptimWrapper
    algo = MODELS.build(
        dict(type='BaseAlgorithm', architecture=classifier_cfg()))
    inputs, samples = batch(8)
    data = dict(inputs=list(inputs), data_samples=samples)
    before = algo.architecture.head.fc.weight.detach().clone()
    wrapper = OptimWrapper(torch.optim.SGD(algo.parameters(), lr=0.1))
    log_vars = algo.train_step(data, wrapper)
    assert 'loss' in log_vars
    assert not torch.equal(before, algo.architecture.head.fc.weight)


def test_mmcls_cfg_path_architecture():
    algo = MODELS.build(
        dict(
            type='mmrazor.BaseAlgorithm',
            architecture=dict(
                cfg_path='mmcls::resnet/resnet18_8xb32_in1k.py',
                pretrained=False)))
    assert isinstance(algo.architecture, BaseModel)
    algo.eval()
    out = algo(torch.rand(1, 3, 32, 32), mode='tensor')
    assert out.shape == (1, 1000)
