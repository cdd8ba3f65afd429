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


def test_hook_draws_student_and_teacher(tmp_path):
    """A distillation algorithm: the teacher's features are recorded too
    (the CWD visualization config maps ``teacher.neck``)."""
    from types import SimpleNamespace

    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmrazor.datasets import DigitsDataset
    from mmrazor.registry import HOOKS, MODELS
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/distill/mmcls/kd/'
            'kd_logits_resnet18-w16_resnet18-w8_1xb32_digits.py'))
    cfg.model.teacher_ckpt = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        algo = MODELS.build(cfg.model)
        dataset = DigitsDataset(
            split='val',
            img_size=16,
            pipeline=[dict(type='mmcls.PackClsInputs')])
    algo.init_weights()
    hook = HOOKS.build(
        dict(
            type='mmrazor.RazorVisualizationHook',
            enabled=True,
            recorders=dict(
                s=dict(
                    type='ModuleOutputs',
                    source='architecture.backbone.layer2'),
                t=dict(type='ModuleOutputs',
                       source='teacher.backbone.layer2')),
            mappings=dict(s=dict(recorder='s'), t=dict(recorder='t')),
            out_dir=str(tmp_path)))
    runner = SimpleNamespace(
        model=algo,
        val_loop=object(),
        val_dataloader=SimpleNamespace(dataset=dataset),
        work_dir=str(tmp_path),
        timestamp='t',
        epoch=0)
    hook.before_train(runner)
    student = cv2.imread(str(tmp_path / 's_sample0_before_train.png'))
    teacher = cv2.imread(str(tmp_path / 't_sample0_before_train.png'))
    assert student is not None and teacher is not None
    assert student.std() > 5 and teacher.std() > 5
    assert np.abs(student.astype(int) - teacher.astype(int)).mean() > 1
    assert algo.training  # the hook restores the mode


def test_cwd_visualization_config_hook_builds():
    pytest.importorskip('mmdet')
    from mmengine.config import Config
    from mmengine.registry import HOOKS, DefaultScope

    from mmrazor.engine import RazorVisualizationHook
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/distill/mmdet/cwd/'
            'cwd_fpn_retina_r101_retina_r50_1x_coco_visualization.py'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        hook = HOOKS.build(cfg.default_hooks.visualization)
    assert isinstance(hook, RazorVisualizationHook)
    assert hook.enabled and set(hook.mappings) == {'s_p3', 't_p3'}
    assert hook.visualization_cfg['channel_reduction'] == 'pixel_wise_max'
