# Copyright (c) OpenMMLab. All rights reserved.
"""KD through the MMEngine Runner on digits: SingleTeacherDistillValLoop
logs the teacher's metric, StopDistillHook stops the distill losses,
SelfDistillValLoop validates a self-distilled student, and CRDDataset +
PackCRDClsInputs feed CRD indices."""
import copy

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmrazor  # noqa: F401


def classifier(base):
    return dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=10,
            mean=[127.5],
            std=[127.5],
            to_rgb=False),
        backbone=dict(
            type='mmcls.ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=base,
            base_channels=base,
            out_indices=(3, )),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=base * 8,
            loss=dict(type='mmcls.CrossEntropyLoss')))


def loader(split, batch_size=64, pipeline=None, wrap=None):
    dataset = dict(
        type='mmrazor.DigitsDataset',
        split=split,
        img_size=8,
        channels=1,
        pipeline=pipeline or [dict(type='mmcls.PackClsInputs')])
    if wrap:
        dataset = dict(wrap, dataset=dataset)
    return dict(
        batch_size=batch_size,
        num_workers=0,
        dataset=dataset,
        sampler=dict(type='DefaultSampler', shuffle=split == 'val'))


KD_DISTILLER = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    teacher_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    distill_losses=dict(loss_kl=dict(type='KLDivergence', tau=4)),
    loss_forward_mappings=dict(
        loss_kl=dict(
            preds_S=dict(from_student=True, recorder='fc'),
            preds_T=dict(from_student=False, recorder='fc'))))


def make_runner(tmp_path, model, val_loop, **extra):
    cfg = dict(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=loader('val'),
        val_dataloader=loader('test', 128),
        val_evaluator=dict(type='mmcls.Accuracy', topk=(1, )),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=2),
        val_cfg=dict(type=val_loop),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=2)),
        default_scope='mmrazor',
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend='gloo')))
    cfg.update(extra)
    return Runner.from_cfg(cfg)


@pytest.mark.slow
def test_single_teacher_val_loop_and_stop_hook(tmp_path):
    teacher = classifier(8)
    torch.manual_seed(0)
    model = dict(
        type='mmrazor.SingleTeacherDistill',
        architecture=classifier(4),
        teacher=teacher,
        distiller=copy.deepcopy(KD_DISTILLER))
    runner = make_runner(
        tmp_path,
        model,
        'mmrazor.SingleTeacherDistillValLoop',
        custom_hooks=[dict(type='mmrazor.StopDistillHook', stop_epoch=1)])
    seen = []
    algo = runner.model
    original = algo.loss

    def loss(*args, **kwargs):
        losses = original(*args, **kwargs)
        seen.append((runner.epoch, sorted(losses)))
        return losses

    algo.loss = loss
    runner.train()
    assert ('distill.loss_kl' in seen[0][1]) and seen[0][0] == 0
    assert all('distill.loss_kl' not in keys for epoch, keys in seen
               if epoch >= 1)
    assert algo.distillation_stopped
    metrics = runner.val_loop.run()
    assert 'accuracy/top1' in metrics and 'teacher.accuracy/top1' in metrics
    # an untrained teacher is visibly dead (chance level on 10 classes)
    assert metrics['teacher.accuracy/top1'] < 40
    ckpt = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)
    assert ckpt['state_dict']['_distillation_stopped'].item()


@pytest.mark.slow
def test_self_distill_val_loop(tmp_path):
    model = dict(
        type='mmrazor.SelfDistill',
        architecture=classifier(4),
        distiller=dict(
            type='BYOTDistiller',
            student_recorders=dict(
                l2=dict(type='ModuleOutputs', source='backbone.layer2')),
            teacher_recorders=dict(
                fc=dict(type='ModuleOutputs', source='head.fc')),
            connectors=dict(
                l2=dict(
                    type='BYOTConnector',
                    in_channel=8,
                    out_channel=32,
                    num_classes=10,
                    expansion=1)),
            distill_losses=dict(loss_kl=dict(type='KLDivergence', tau=3)),
            loss_forward_mappings=dict(
                loss_kl=dict(
                    preds_S=dict(
                        from_student=True,
                        recorder='l2',
                        connector='l2',
                        connector_idx=1),
                    preds_T=dict(from_student=False, recorder='fc')))))
    runner = make_runner(
        tmp_path,
        model,
        'mmrazor.SelfDistillValLoop',
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1))
    runner.train()
    metrics = runner.val_loop.run()
    assert set(metrics) == {'accuracy/top1'}


def test_crd_dataset_and_pack(tmp_path):
    from mmrazor.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmrazor'):
        ds = DATASETS.build(
            dict(
                type='mmrazor.CRDDataset',
                neg_num=20,
                dataset=dict(
                    type='mmrazor.DigitsDataset',
                    split='val',
                    img_size=8,
                    pipeline=[dict(type='mmrazor.PackCRDClsInputs')])))
        sample = ds[5]['data_samples']
        label = int(sample.gt_label)
        idxs = sample.contrast_sample_idxs
        assert int(sample.sample_idx) == 5 and idxs[0] == 5
        assert len(idxs) == 21
        assert all(ds.gt_labels[int(i)] != label for i in idxs[1:])
        ds_random = DATASETS.build(
            dict(
                type='mmrazor.CRDDataset',
                neg_num=4,
                sample_mode='random',
                percent=0.5,
                dataset=dict(
                    type='mmrazor.DigitsDataset',
                    split='val',
                    img_size=8,
                    pipeline=[dict(type='mmrazor.PackCRDClsInputs')])))
        pos = int(ds_random[7]['data_samples'].contrast_sample_idxs[0])
        assert ds_random.gt_labels[pos] == ds_random.gt_labels[7]
        with pytest.raises(ValueError, match='sample_mode'):
            DATASETS.build(
                dict(
                    type='mmrazor.CRDDataset',
                    neg_num=4,
                    sample_mode='x',
                    dataset=ds.dataset))
        bad = DATASETS.build(
            dict(
                type='mmrazor.DigitsDataset',
                split='val',
                img_size=8,
                pipeline=[dict(type='mmrazor.PackCRDClsInputs')]))
        with pytest.raises(KeyError, match='CRDDataset'):
            bad[0]
