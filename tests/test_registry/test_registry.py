# Copyright (c) OpenMMLab. All rights reserved.
import subprocess
import sys

import pytest
import torch
from mmengine import registry as mme
from mmengine.registry import DefaultScope, Registry

import mmrazor.registry as razor
from mmrazor.registry import MODELS, UnknownTypeError

REGISTRIES = [('RUNNERS', 'RUNNERS'),
              ('RUNNER_CONSTRUCTORS', 'RUNNER_CONSTRUCTORS'),
              ('LOOPS', 'LOOPS'), ('HOOKS', 'HOOKS'), ('DATASETS', 'DATASETS'),
              ('DATA_SAMPLERS', 'DATA_SAMPLERS'), ('TRANSFORMS', 'TRANSFORMS'),
              ('MODELS', 'MODELS'), ('MODEL_WRAPPERS', 'MODEL_WRAPPERS'),
              ('WEIGHT_INITIALIZERS', 'WEIGHT_INITIALIZERS'),
              ('OPTIMIZERS', 'OPTIMIZERS'),
              ('OPTIM_WRAPPERS', 'OPTIM_WRAPPERS'),
              ('OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPER_CONSTRUCTORS'),
              ('PARAM_SCHEDULERS', 'PARAM_SCHEDULERS'), ('METRICS', 'METRICS'),
              ('TASK_UTILS', 'TASK_UTILS'), ('VISUALIZERS', 'VISUALIZERS'),
              ('VISBACKENDS', 'VISBACKENDS')]


def tiny_classifier_cfg(scope_prefix='mmcls.'):
    return dict(
        type=f'{scope_prefix}ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64))


def test_eighteen_children_of_mmengine_roots():
    assert len(REGISTRIES) == 18
    for ours, theirs in REGISTRIES:
        child = getattr(razor, ours)
        root = getattr(mme, theirs)
        assert isinstance(child, Registry)
        assert child.parent is root, ours
        assert child.scope == 'mmrazor'
        assert root.children['mmrazor'] is child
        assert child._locations, f'{ours} has no lazy import locations'


def test_lazy_locations_build_without_prior_import():
    code = ('import sys\n'
            'from mmengine.registry import MODELS, HOOKS, DATASETS\n'
            'import mmrazor.registry\n'
            'assert "mmrazor.models" not in sys.modules\n'
            f'm = MODELS.build(dict(type="mmrazor.BaseAlgorithm", '
            f'architecture={tiny_classifier_cfg()!r}))\n'
            'h = HOOKS.build(dict(type="mmrazor.CheckpointStateHook"))\n'
            'print(type(m).__name__, type(h).__name__)\n')
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ['BaseAlgorithm', 'CheckpointStateHook']


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet', 'mmengine'])
def test_mmrazor_prefix_from_other_default_scope(scope):
    with DefaultScope.overwrite_default_scope(scope):
        algo = mme.MODELS.build(
            dict(
                type='mmrazor.BaseAlgorithm',
                architecture=tiny_classifier_cfg()))
    assert type(algo).__name__ == 'BaseAlgorithm'
    assert type(algo.architecture).__name__ == 'ImageClassifier'
    out = algo(torch.zeros(2, 1, 16, 16), mode='tensor')
    assert out.shape == (2, 10)


def test_scope_key_builds_upstream_children_in_its_scope():
    # The data preprocessor and backbone are built by ImageClassifier
    # itself; with the `mmcls.` prefix they resolve in mmcls/mmpretrain even
    # though the default scope is mmrazor.
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(tiny_classifier_cfg())
    assert type(model.data_preprocessor).__name__ == 'ClsDataPreprocessor'


def test_cfg_path_and_return_architecture():
    algo = MODELS.build(
        dict(
            type='BaseAlgorithm',
            architecture=dict(
                cfg_path='mmcls::resnet/resnet18_8xb32_in1k.py',
                pretrained=False)))
    assert type(algo.architecture).__name__ == 'ImageClassifier'
    assert algo.architecture.head.fc.out_features == 1000
    arch = MODELS.build(
        dict(
            type='BaseAlgorithm',
            architecture=tiny_classifier_cfg(),
            _return_architecture_=True))
    assert type(arch).__name__ == 'ImageClassifier'


def test_sub_model_is_registered_function():
    assert MODELS.get('sub_model') is razor.sub_model
    assert callable(razor.sub_model)


def test_unknown_type_names_registry_scope_and_close_matches():
    with pytest.raises(UnknownTypeError) as info:
        MODELS.build(dict(type='BaseAlgorithem', architecture={}))
    msg = str(info.value)
    assert "'BaseAlgorithem'" in msg
    assert "'model' registry" in msg
    assert "scope 'mmrazor'" in msg
    assert 'mmrazor.BaseAlgorithm' in msg
    assert isinstance(info.value, KeyError)  # what MMEngine users catch


def test_unknown_type_in_other_registry():
    with pytest.raises(UnknownTypeError, match='CheckpointStateHook'):
        razor.HOOKS.build(dict(type='CheckpointStateHok'))


def test_all_lists_each_name_once_and_every_name_exists():
    names = razor.__all__
    assert len(names) == len(set(names)), sorted(
        n for n in set(names) if names.count(n) > 1)
    assert all(hasattr(razor, n) for n in names)
    assert 'RUNNER_CONSTRUCTORS' in names
