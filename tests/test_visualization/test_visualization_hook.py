# Copyright (c) OpenMMLab. All rights reserved.
"""RazorVisualizationHook draws recorded features of a validation sample
before training and after each epoch of the digits model."""
import os.path as osp

import cv2
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/'
    'resnet18-w16_1xb32_digits.py')


def test_bad_mapping():
    from mmrazor.engine import RazorVisualizationHook
    with pytest.raises(KeyError, match="recorder 'nope'"):
        RazorVisualizationHook(
            recorders=dict(a=dict(type='ModuleOutputs', source='backbone')),
            mappings=dict(x=dict(recorder='nope')))


@pytest.mark.slow
def test_hook_on_digits(tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(DIGITS)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 10
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.param_scheduler = []
    out_dir = str(tmp_path / 'vis')
    cfg.custom_hooks = [
        dict(
            type='mmrazor.RazorVisualizationHook',
            enabled=True,
            data_idx=[0, 1],
            recorders=dict(
                layer1=dict(type='ModuleOutputs', source='backbone.layer1')),
            mappings=dict(layer1=dict(recorder='layer1')),
            out_dir=out_dir,
            visualization_cfg=dict(channel_reduction='pixel_wise_max'))
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    names = [
        'layer1_sample0_before_train.png', 'layer1_sample1_before_train.png',
        'layer1_sample0_epoch1.png', 'layer1_sample1_epoch1.png'
    ]
    imgs = {}
    for name in names:
        img = cv2.imread(osp.join(out_dir, name))
        assert img is not None, name
        assert img.shape == (16, 16, 3) and img.std() > 5, name
        imgs[name] = img.astype(int)
    # the drawing depends on the input and on the model's weights
    assert np.abs(imgs[names[0]] - imgs[names[1]]).mean() > 1
    assert np.abs(imgs[names[0]] - imgs[names[2]]).mean() > 1
