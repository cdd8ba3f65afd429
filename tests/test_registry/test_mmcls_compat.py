# Copyright (c) OpenMMLab. All rights reserved.
"""Original-style MMRazor 1.x ``mmcls`` configs run on mmpretrain."""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, TRANSFORMS, VISUALIZERS, DefaultScope

from mmrazor.utils import mmcls_compat, register_all_modules

pytestmark = pytest.mark.skipif(
    mmcls_compat.real_mmcls_available(),
    reason='a real mmcls is installed: the compat layer is inactive')


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_compat_is_active_without_mmcls():
    assert mmcls_compat.compat_active()
    assert mmcls_compat.map_package('mmcls') == 'mmpretrain'
    assert mmcls_compat.map_package('mmdet') == 'mmdet'


def test_mmcls_base_config_resolves_to_mmpretrain(tmp_path):
    cfg_file = write(
        tmp_path, 'kd_like.py', """
        _base_ = ['mmcls::resnet/resnet18_8xb32_in1k.py']
        model = dict(head=dict(num_classes=10))
        """)
    cfg = Config.fromfile(cfg_file)
    assert cfg.model.type == 'ImageClassifier'
    assert cfg.model.head.num_classes == 10
    assert cfg.model._scope_ == 'mmcls'
    model = MODELS.build(cfg.model)
    assert type(model).__module__.startswith('mmpretrain')
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_mmcls_dataset_schedule_runtime_bases(tmp_path):
    cfg_file = write(
        tmp_path, 'full.py', """
        _base_ = [
            'mmcls::_base_/datasets/imagenet_bs32.py',
            'mmcls::_base_/schedules/imagenet_bs256.py',
            'mmcls::_base_/default_runtime.py',
        ]
        """)
    cfg = Config.fromfile(cfg_file)
    assert cfg.train_cfg.max_epochs == 100
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        for t in cfg.train_pipeline:
            TRANSFORMS.build(t)


def test_default_scope_mmcls_and_mmcls_only_names():
    register_all_modules(False)
    with DefaultScope.overwrite_default_scope('mmcls'):
        model = MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=dict(type='ResNet', depth=18),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(
                    type='LinearClsHead', num_classes=3, in_channels=512)))
        pack = TRANSFORMS.build(dict(type='PackClsInputs'))
        vis = VISUALIZERS.build(
            dict(type='ClsVisualizer', name=f'vis{os.getpid()}'))
    assert type(model).__name__ == 'ImageClassifier'
    assert type(pack).__name__ == 'PackInputs'
    assert type(vis).__name__ == 'UniversalVisualizer'
    # the prefixed form from any scope
    with DefaultScope.overwrite_default_scope('mmrazor'):
        pack = TRANSFORMS.build(dict(type='mmcls.PackClsInputs'))
    assert type(pack).__name__ == 'PackInputs'


def test_cfg_path_mmcls_get_model():
    model = mmcls_compat.get_model(
        'mmcls::mobilenet_v2/mobilenet-v2_8xb32_in1k.py')
    assert type(model.backbone).__name__ == 'MobileNetV2'
    assert type(model.data_preprocessor).__name__ == 'ClsDataPreprocessor'


def test_missing_package_error_names_pip_package():
    # mmaction is never part of the stack; its pip name differs
    with pytest.raises(ModuleNotFoundError, match='pip install mmaction2'):
        mmcls_compat.get_model('mmaction::foo/bar.py')


def test_cls_data_sample_is_mmpretrain_data_sample():
    from mmpretrain.structures import DataSample
    assert mmcls_compat.ClsDataSample is DataSample


def test_real_mmcls_is_left_alone(tmp_path):
    # A package called mmcls on the path: the layer must stay inactive.
    pkg = tmp_path / 'mmcls'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('__version__ = "1.0.0rc6"\n')
    code = ('from mmrazor.utils.mmcls_compat import compat_active\n'
            'import sys\n'
            'print(compat_active(), "mmcls.registry" in sys.modules)\n')
    env = dict(
        os.environ,
        PYTHONPATH=str(tmp_path) + os.pathsep +
        os.environ.get('PYTHONPATH', ''))
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                         capture_output=True,
                         text=True,
                         env=env,
                         cwd=osp.dirname(str(tmp_path)),
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ['False', 'False']
