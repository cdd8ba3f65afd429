# Copyright (c) OpenMMLab. All rights reserved.
"""CWD configs build on a real mmdet detector and an mmseg segmentor and
give finite distillation losses on a tiny batch."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmrazor  # noqa: F401
from mmrazor.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def build(rel_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs/distill', rel_path))
    model_cfg = cfg.model
    model_cfg['teacher_ckpt'] = None
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return MODELS.build(model_cfg)


@pytest.mark.slow
@pytest.mark.parametrize('rel_path', [
    'mmdet/cwd/cwd_fpn_retina_r101_retina_r50_1x_coco.py',
    'mmdet/cwd/cwd_cls_head_gfl_r101_fpn_gfl_r50_fpn_1x_coco.py',
])
def test_cwd_detector(rel_path):
    pytest.importorskip('mmdet')
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    torch.manual_seed(0)
    algo = build(rel_path)
    algo.train()
    samples = []
    for _ in range(2):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(64, 64),
                ori_shape=(64, 64),
                pad_shape=(64, 64),
                scale_factor=(1., 1.),
                batch_input_shape=(64, 64)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 4., 40., 40.]]),
            labels=torch.tensor([1]))
        samples.append(sample)
    data = dict(
        inputs=[torch.randint(0, 255, (3, 64, 64)).float()] * 2,
        data_samples=samples)
    losses = algo(**algo.data_preprocessor(data, True), mode='loss')
    cwd = {k: v for k, v in losses.items() if k.startswith('distill.')}
    assert len(cwd) == len(algo.distiller.loss_forward_mappings) >= 4
    # (the coarsest levels of a 64x64 input are 1x1: their CWD is 0)
    assert all(torch.isfinite(v) and v >= 0 for v in cwd.values())
    assert sum(cwd.values()) > 0
    assert any(k.startswith('student.') for k in losses)
    assert not any(p.requires_grad for p in algo.teacher.parameters())


@pytest.mark.slow
def test_cwd_segmentor():
    pytest.importorskip('mmseg')
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    torch.manual_seed(0)
    algo = build('mmseg/cwd/cwd_logits_pspnet_r101-d8_pspnet_r18-d8_'
                 '4xb2-80k_cityscapes-512x1024.py')
    algo.train()
    # the config pads to its 512x1024 crop: keep the tiny input tiny
    algo.data_preprocessor.size = (32, 32)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(32, 32), ori_shape=(32, 32), pad_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, 32, 32)))
        samples.append(sample)
    data = dict(
        inputs=[torch.randint(0, 255, (3, 32, 32)).float()] * 2,
        data_samples=samples)
    losses = algo(**algo.data_preprocessor(data, True), mode='loss')
    assert torch.isfinite(losses['distill.loss_cwd'])
    assert losses['distill.loss_cwd'] > 0
    assert 'student.decode.loss_ce' in losses
