# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from mmrazor.engine.runner.quantization_loops import (LSQEpochBasedLoop,
                                                      PTQLoop,
                                                      QATEpochBasedLoop,
                                                      QATValLoop)
from mmrazor.models.fake_quants import LearnableFakeQuantize
from mmrazor.registry import DATASETS, HOOKS, METRICS
from mmrazor.structures.quantization.torch_ao import FakeQuantize

from mmrazor.testing import toy_quant_model_cfg

# mmengine's is_model_wrapper walks the registry tree; the lazily created
# mmcls alias registry imports mmpretrain (adding registries) on first
# access, which breaks that walk: import it up front.
pytest.importorskip('mmpretrain.registry')


@DATASETS.register_module(force=True)
class ToyQuantDataset(Dataset):
    METAINFO = dict()

    def __init__(self, n=16):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 1, 8, 8, generator=g)
        self.y = (self.x.mean((1, 2, 3)) > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(
            inputs=self.x[i], data_samples=BaseDataElement(gt_label=self.y[i]))


@METRICS.register_module(force=True)
class ToyQuantAccuracy(BaseMetric):

    def process(self, data_batch, data_samples):
        for d in data_samples:
            self.results.append(int(d['pred_label']) == int(d['gt_label']))

    def compute_metrics(self, results):
        return dict(accuracy=100.0 * sum(results) / len(results))


@HOOKS.register_module(force=True)
class RecordValMetrics(Hook):

    def after_val_epoch(self, runner, metrics=None):
        runner.recorded_metrics = dict(metrics)


def loader(n=16, bs=8):
    return dict(
        batch_size=bs,
        num_workers=0,
        dataset=dict(type='mmrazor.ToyQuantDataset', n=n),
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))


def model_cfg(lsq=False):
    cfg = toy_quant_model_cfg(lsq)
    cfg['data_preprocessor'] = dict(type='BaseDataPreprocessor')
    return cfg


def make_runner(tmp_path, **kwargs):
    cfg = dict(
        model=model_cfg(kwargs.pop('lsq', False)),
        work_dir=str(tmp_path),
        default_scope='mmrazor',
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=100),
            checkpoint=dict(type='CheckpointHook', interval=100)),
        custom_hooks=[dict(type='mmrazor.RecordValMetrics')],
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
        experiment_name=f'quant_{len(str(tmp_path))}_{id(kwargs)}')
    cfg.update(kwargs)
    return Runner(**cfg)


def test_ptq_loop(tmp_path):
    runner = make_runner(
        tmp_path,
        test_dataloader=loader(),
        test_evaluator=dict(type='mmrazor.ToyQuantAccuracy'),
        test_cfg=dict(
            type='mmrazor.PTQLoop',
            calibrate_dataloader=loader(),
            calibrate_steps=1))
    assert isinstance(runner.test_loop, PTQLoop)
    metrics = runner.test()
    assert 'accuracy' in metrics
    path = runner.test_loop.checkpoint_path
    assert path == osp.join(str(tmp_path), runner.timestamp, 'model_ptq.pth')
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    assert any(k.startswith('qmodels.predict.') for k in ckpt['state_dict'])
    model = runner.model
    fq = model.qmodels['predict'].activation_post_process_0
    assert fq.scale.item() != 1.0
    assert not bool(fq.observer_enabled[0])
    assert torch.equal(fq.scale,
                       model.qmodels['tensor'].activation_post_process_0.scale)

    # only_val evaluates the loaded checkpoint, without calibration
    runner2 = make_runner(
        tmp_path / 'b',
        load_from=path,
        test_dataloader=loader(),
        test_evaluator=dict(type='mmrazor.ToyQuantAccuracy'),
        test_cfg=dict(
            type='mmrazor.PTQLoop',
            calibrate_dataloader=loader(),
            calibrate_steps=1,
            only_val=True))
    metrics2 = runner2.test()
    assert runner2.test_loop.checkpoint_path is None
    assert metrics2['accuracy'] == pytest.approx(metrics['accuracy'])


def test_ptq_loop_bad_steps(tmp_path):
    runner = make_runner(
        tmp_path,
        test_dataloader=loader(),
        test_evaluator=dict(type='mmrazor.ToyQuantAccuracy'),
        test_cfg=dict(
            type='mmrazor.PTQLoop',
            calibrate_dataloader=loader(),
            calibrate_steps=0))
    with pytest.raises(ValueError, match='calibrate_steps'):
        runner.test_loop


def _train_runner(tmp_path, train_cfg, lsq=False):
    return make_runner(
        tmp_path,
        lsq=lsq,
        train_dataloader=loader(),
        val_dataloader=loader(),
        val_evaluator=dict(type='mmrazor.ToyQuantAccuracy'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=train_cfg,
        val_cfg=dict(type='mmrazor.QATValLoop'))


def test_qat_loop(tmp_path):
    runner = _train_runner(
        tmp_path,
        dict(
            type='mmrazor.QATEpochBasedLoop',
            max_epochs=2,
            val_interval=2,
            disable_observer_begin=2,
            freeze_bn_begin=2))
    assert isinstance(runner.train_loop, QATEpochBasedLoop)
    assert isinstance(runner.val_loop, QATValLoop)
    runner.train()
    model = runner.model
    loss_graph = model.qmodels['loss']
    assert loss_graph.conv1.freeze_bn  # BN frozen from epoch 2
    assert not bool(loss_graph.activation_post_process_0.observer_enabled[0])
    assert torch.equal(loss_graph.conv1.weight_fake_quant.scale,
                       model.qmodels['predict'].conv1.weight_fake_quant.scale)
    metrics = runner.recorded_metrics
    assert set(metrics) == {'qat.accuracy', 'original.accuracy'}


def test_lsq_loop(tmp_path):
    runner = _train_runner(
        tmp_path,
        dict(type='mmrazor.LSQEpochBasedLoop', max_epochs=1, val_interval=1),
        lsq=True)
    assert isinstance(runner.train_loop, LSQEpochBasedLoop)
    model = runner.model
    runner.train()
    fq = model.qmodels['loss'].conv1.weight_fake_quant
    assert isinstance(fq, LearnableFakeQuantize)
    assert fq.scale.shape == (8, )
    assert not runner.train_loop.is_first_batch
    # validation mode: fixed qparams, fake quantization on
    assert not bool(fq.learning_enabled[0]) and not bool(fq.static_enabled[0])
    assert bool(fq.fake_quant_enabled[0])
    # the scale was learned after the static estimate of batch 1
    act = model.qmodels['loss'].activation_post_process_0
    obs_scale = act.activation_post_process.calculate_qparams()[0]
    assert not torch.equal(act.scale.detach(), obs_scale)
    assert 'qat.accuracy' in runner.recorded_metrics
    assert FakeQuantize is not LearnableFakeQuantize
