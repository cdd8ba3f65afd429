# Copyright (c) OpenMMLab. All rights reserved.
"""The base configs of no algorithm family: the WRN vanilla model, the
CIFAR-100 AutoAugment data set, and the mmdet3d PKD config's clear error
when mmdet3d is missing."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import mmrazor  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_wrn_vanilla_configs():
    import torch
    from mmengine.registry import DefaultScope

    from mmrazor.registry import MODELS
    expected = {'16-w2': 128, '22-w4': 256, '28-w4': 256, '40-w2': 128}
    for name, channels in expected.items():
        cfg = Config.fromfile(
            osp.join(
                REPO, 'configs/vanilla/mmcls/wide-resnet/'
                f'wrn{name}_b16x8_cifar10.py'))
        depth, k = name.split('-w')
        assert cfg.model.backbone.depth == int(depth)
        assert cfg.model.backbone.widen_factor == int(k)
        assert cfg.model.head.in_channels == channels
        assert cfg.train_dataloader.dataset.type.endswith('CIFAR10')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    out = model(torch.randn(1, 3, 32, 32), mode='tensor')
    assert out.shape == (1, 10)


def test_cifar100_auto_aug_pipeline():
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    from mmrazor.registry import TRANSFORMS
    cfg = Config.fromfile(
        osp.join(REPO,
                 'configs/_base_/datasets/mmcls/cifar100_bs16_auto_aug.py'))
    types = [t['type'] for t in cfg.train_pipeline]
    assert 'mmrazor.AutoAugment' in types
    assert cfg.data_preprocessor.num_classes == 100
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        if TRANSFORMS.get('AutoAugment') is None:
            # the transform lands with the weight-sharing NAS family:
            # until then the error names it
            with pytest.raises(Exception, match='AutoAugment'):
                Compose(cfg.train_pipeline)
            return
        pipeline = Compose(cfg.train_pipeline)
    img = np.random.RandomState(0).randint(0, 255, (32, 32, 3), np.uint8)
    out = pipeline(dict(img=img, gt_label=3, img_shape=(32, 32)))
    assert tuple(out['inputs'].shape) == (3, 32, 32)


@pytest.mark.skipif(
    importlib.util.find_spec('mmdet3d') is not None,
    reason='mmdet3d is installed')
def test_mmdet3d_config_names_the_package():
    path = osp.join(
        REPO, 'configs/distill/mmdet3d/pkd/'
        'pkd_fpn_fcos3d_r101_fcos3d_r50_8xb2-1x_nus-mono3d.py')
    with pytest.raises(ModuleNotFoundError, match='mmdet3d'):
        Config.fromfile(path)
