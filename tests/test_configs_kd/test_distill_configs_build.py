# Copyright (c) OpenMMLab. All rights reserved.
"""Every distillation config builds its algorithm on CPU (pretrained
weights switched off: they cannot be downloaded here) and runs one loss
forward / train step on a tiny batch."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmrazor  # noqa: F401
from mmrazor.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMCLS_CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO, 'configs/distill/mmcls/*/*.py')))
assert len(MMCLS_CONFIGS) >= 20, MMCLS_CONFIGS


def switch_off_weights(model_cfg):
    model_cfg = copy.deepcopy(model_cfg)
    if 'teacher_ckpt' in model_cfg:
        model_cfg['teacher_ckpt'] = None
    for key in ('architecture', 'distiller'):
        if isinstance(model_cfg.get(key), dict):
            model_cfg[key].pop('init_cfg', None)
    for teacher in model_cfg.get('teachers', {}).values():
        teacher['ckpt_path'] = None
    if 'student_iter' in model_cfg:
        model_cfg['student_iter'] = 1  # keep the test short
    return model_cfg


def tiny_batch(n, channels, size, num_classes, neg_num=8):
    from mmpretrain.structures import DataSample
    samples = []
    for i in range(n):
        s = DataSample().set_gt_label(i % num_classes)
        s.set_field(torch.tensor(i), 'sample_idx')
        s.set_field(torch.arange(neg_num + 1) + i, 'contrast_sample_idxs')
        samples.append(s)
    inputs = [
        torch.randint(0, 255, (channels, size, size)).float() for _ in range(n)
    ]
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.slow
@pytest.mark.parametrize(
    'path',
    MMCLS_CONFIGS,
    ids=[
        osp.relpath(p, osp.join(REPO, 'configs/distill'))
        for p in MMCLS_CONFIGS
    ])
def test_mmcls_distill_config(path):
    torch.manual_seed(0)
    cfg = Config.fromfile(path)
    model_cfg = switch_off_weights(cfg.model)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        algo = MODELS.build(model_cfg)
        digits = 'digits' in path
        num_classes = 100 if 'cifar100' in path else \
            10 if ('cifar10' in path or digits) else 1000
        data = tiny_batch(2, 1 if digits else 3, 16 if digits else 32,
                          num_classes)
        algo.train()
        if 'teachers' in model_cfg:  # data-free: one full train step
            from mmrazor.engine import SeparateOptimWrapperConstructor
            optim_cfg = dict(cfg.optim_wrapper)
            optim_cfg.pop('constructor')
            optim = SeparateOptimWrapperConstructor(optim_cfg)(algo)
            log = algo.train_step(data, optim)
            keys = set(log)
        else:
            losses = algo(**algo.data_preprocessor(data, True), mode='loss')
            keys = set(losses)
            for name, value in losses.items():
                assert torch.isfinite(value).all(), name
    distill = model_cfg['distiller']['loss_forward_mappings']
    for loss_name in distill:
        assert f'distill.{loss_name}' in keys, (loss_name, keys)
