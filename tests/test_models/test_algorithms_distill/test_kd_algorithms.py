# Copyright (c) OpenMMLab. All rights reserved.
import logging

import pytest
import torch
from kd_test_utils import batch, classifier_cfg, logits_distiller, std_cfg
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmrazor.engine import SeparateOptimWrapperConstructor
from mmrazor.engine.hooks import StopDistillHook
from mmrazor.registry import MODELS


def test_single_teacher_distill_loss_and_freeze():
    torch.manual_seed(0)
    algo = MODELS.build(std_cfg())
    algo.train()
    data = algo.data_preprocessor(batch(), True)
    losses = algo(**data, mode='loss')
    assert set(losses) == {'student.loss', 'distill.loss_kl'}
    # the KD loss equals an independent computation
    with torch.no_grad():
        t = algo.teacher(data['inputs'], mode='tensor')
    s = algo.student(data['inputs'], mode='tensor')
    ref = torch.nn.functional.kl_div(
        s.log_softmax(1), t.softmax(1), reduction='batchmean')
    assert torch.allclose(losses['distill.loss_kl'], ref, atol=1e-5)
    # teacher is frozen and its BN in eval mode; the student's BN trains
    assert not any(p.requires_grad for p in algo.teacher.parameters())
    assert not algo.teacher.backbone.bn1.training
    assert algo.student.backbone.bn1.training
    sum(losses.values()).backward()
    assert algo.student.head.fc.weight.grad is not None
    assert algo.student is algo.architecture


def test_single_teacher_options():
    algo = MODELS.build(
        std_cfg(teacher_trainable=True, calculate_student_loss=False))
    data = algo.data_preprocessor(batch(), True)
    losses = algo(**data, mode='loss')
    assert set(losses) == {'teacher.loss', 'distill.loss_kl'}
    algo.distillation_stopped = True
    assert set(algo(**data, mode='loss')) == {'teacher.loss'}
    assert algo.state_dict()['_distillation_stopped'].item()
    algo = MODELS.build(std_cfg(student_trainable=False))
    assert not any(p.requires_grad for p in algo.student.parameters())
    # predict runs the student
    preds = algo(**algo.data_preprocessor(batch(), False), mode='predict')
    assert len(preds) == 4


def test_teacher_ckpt_sanity(tmp_path):
    teacher = MODELS.build(classifier_cfg(base=8))
    good = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, good)
    algo = MODELS.build(std_cfg(teacher_ckpt=str(good)))
    for k, v in teacher.state_dict().items():
        assert torch.equal(algo.teacher.state_dict()[k], v)
    assert algo.teacher.is_init

    # partial: names of missing and unexpected keys are reported
    state = teacher.state_dict()
    state.pop('head.fc.weight')
    state['extra.weight'] = torch.zeros(1)
    partial = tmp_path / 'partial.pth'
    torch.save({'state_dict': state}, partial)
    logger = MMLogger.get_current_instance()
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    try:
        MODELS.build(std_cfg(teacher_ckpt=str(partial)))
    finally:
        logger.removeHandler(handler)
    text = '\n'.join(messages)
    assert 'head.fc.weight' in text and 'extra.weight' in text

    # a checkpoint that loads nothing (e.g. an algorithm checkpoint whose
    # keys carry `architecture.`) is an error naming the fix
    wrong = tmp_path / 'wrong.pth'
    torch.save(
        {
            'state_dict': {
                f'architecture.{k}': v
                for k, v in teacher.state_dict().items()
            }
        }, wrong)
    with pytest.raises(RuntimeError, match="loads nothing.*'architecture.'"):
        MODELS.build(std_cfg(teacher_ckpt=str(wrong)))


def test_stop_distill_hook():
    algo = MODELS.build(std_cfg())

    class Runner:
        epoch = 0
        model = algo
        logger = MMLogger.get_current_instance()

    hook = StopDistillHook(stop_epoch=2)
    runner = Runner()
    hook.before_train_epoch(runner)
    assert not algo.distillation_stopped
    runner.epoch = 2
    hook.before_train_epoch(runner)
    assert algo.distillation_stopped
    with pytest.raises(ValueError):
        StopDistillHook(stop_epoch=-1)


def test_delivery_in_algorithm():
    """With a delivery on the neck, the student's neck returns the
    teacher's output (same widths here): the L1 between them is 0, and it
    is not without the delivery."""
    arch = classifier_cfg(base=4)
    distiller = dict(
        type='ConfigurableDistiller',
        student_recorders=dict(neck=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(neck=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(loss_l1=dict(type='L1Loss')),
        loss_forward_mappings=dict(
            loss_l1=dict(
                s_feature=dict(from_student=True, recorder='neck', data_idx=0),
                t_feature=dict(
                    from_student=False, recorder='neck', data_idx=0))))
    algo = MODELS.build(
        std_cfg(architecture=arch, teacher=arch, distiller=distiller))
    data = algo.data_preprocessor(batch(), True)
    assert algo(**data, mode='loss')['distill.loss_l1'] > 0
    distiller['distill_deliveries'] = dict(
        neck=dict(
            type='MethodOutputs',
            max_keep_data=1,
            method_path='mmcls.models.necks.GlobalAveragePooling.forward'))
    algo = MODELS.build(
        std_cfg(architecture=arch, teacher=arch, distiller=distiller))
    losses = algo(**data, mode='loss')
    assert losses['distill.loss_l1'].item() == 0
    from mmpretrain.models.necks import GlobalAveragePooling
    assert not hasattr(GlobalAveragePooling.forward, '__wrapped__')


def test_fpn_teacher_distill():
    cfg = std_cfg(type='mmrazor.FpnTeacherDistill')
    cfg['distiller'] = dict(
        type='ConfigurableDistiller',
        student_recorders=dict(neck=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(neck=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            align=dict(
                type='TorchNNConnector',
                module_name='Linear',
                module_args=dict(in_features=32, out_features=64))),
        distill_losses=dict(loss_l2=dict(type='L2Loss')),
        loss_forward_mappings=dict(
            loss_l2=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='neck',
                    data_idx=0,
                    connector='align'),
                t_feature=dict(
                    from_student=False, recorder='neck', data_idx=0))))
    algo = MODELS.build(cfg)
    data = algo.data_preprocessor(batch(), True)
    losses = algo(**data, mode='loss')
    assert set(losses) == {'student.loss', 'distill.loss_l2'}
    assert losses['distill.loss_l2'] > 0


def test_overhaul_feature_distillation():
    cfg = std_cfg(type='mmrazor.OverhaulFeatureDistillation')
    cfg['distiller'] = dict(
        type='OFDDistiller',
        student_recorders=dict(
            bn=dict(type='ModuleOutputs', source='backbone.layer4.1.bn2')),
        teacher_recorders=dict(
            bn=dict(type='ModuleOutputs', source='backbone.layer4.1.bn2')),
        connectors=dict(
            s_align=dict(
                type='ConvModuleConnector',
                in_channel=32,
                out_channel=64,
                norm_cfg=dict(type='BN'),
                act_cfg=None),
            t_margin=dict(type='OFDTeacherConnector')),
        distill_losses=dict(loss_ofd=dict(type='OFDLoss', loss_weight=1.)),
        loss_forward_mappings=dict(
            loss_ofd=dict(
                s_feature=dict(
                    from_student=True, recorder='bn', connector='s_align'),
                t_feature=dict(
                    from_student=False, recorder='bn', connector='t_margin'))))
    algo = MODELS.build(cfg)
    margin = algo.distiller.connectors['t_margin'].margin
    assert margin.shape == (1, 64, 1, 1) and (margin < 0).all()
    data = algo.data_preprocessor(batch(), True)
    assert algo(**data, mode='loss')['distill.loss_ofd'] > 0
    bad = std_cfg(type='mmrazor.OverhaulFeatureDistillation')
    with pytest.raises(TypeError, match='OFDDistiller'):
        MODELS.build(bad)


def test_self_distill_byot():
    cfg = dict(
        type='mmrazor.SelfDistill',
        architecture=classifier_cfg(base=4),
        distiller=dict(
            type='BYOTDistiller',
            student_recorders=dict(
                l1=dict(type='ModuleOutputs', source='backbone.layer1')),
            teacher_recorders=dict(
                fc=dict(type='ModuleOutputs', source='head.fc'),
                neck=dict(type='ModuleOutputs', source='neck')),
            connectors=dict(
                l1=dict(
                    type='BYOTConnector',
                    in_channel=4,
                    out_channel=32,
                    num_classes=10,
                    expansion=1)),
            distill_losses=dict(
                loss_kl=dict(type='KLDivergence', tau=3),
                loss_feat=dict(type='L2Loss', normalize=False)),
            loss_forward_mappings=dict(
                loss_kl=dict(
                    preds_S=dict(
                        from_student=True,
                        recorder='l1',
                        connector='l1',
                        connector_idx=1),
                    preds_T=dict(from_student=False, recorder='fc')),
                loss_feat=dict(
                    s_feature=dict(
                        from_student=True,
                        recorder='l1',
                        connector='l1',
                        connector_idx=0),
                    t_feature=dict(
                        from_student=False, recorder='neck', data_idx=0)))))
    algo = MODELS.build(cfg)
    data = algo.data_preprocessor(batch(), True)
    losses = algo(**data, mode='loss')
    assert set(losses) == {
        'student.loss', 'distill.loss_kl', 'distill.loss_feat'
    }
    sum(losses.values()).backward()
    assert algo.distiller.connectors['l1'].fc.weight.grad is not None


def _datafree_cfg(alg='mmrazor.DataFreeDistillation'):
    student_rec = dict(fc=dict(type='ModuleOutputs', source='head.fc'))
    teacher_rec = dict(
        fc=dict(type='ModuleOutputs', source='t.head.fc'),
        neck=dict(type='ModuleOutputs', source='t.neck'))
    kd = dict(
        type='ConfigurableDistiller',
        student_recorders=student_rec,
        teacher_recorders=teacher_rec,
        distill_losses=dict(loss_kl=dict(type='KLDivergence')),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc'))))
    if alg.endswith('DAFLDataFreeDistillation'):
        gen = dict(
            type='ConfigurableDistiller',
            teacher_recorders=teacher_rec,
            distill_losses=dict(
                loss_oh=dict(type='OnehotLikeLoss'),
                loss_ie=dict(type='InformationEntropyLoss', gather=False),
                loss_ac=dict(type='ActivationLoss', loss_weight=0.1)),
            loss_forward_mappings=dict(
                loss_oh=dict(preds_T=dict(from_student=False, recorder='fc')),
                loss_ie=dict(preds_T=dict(from_student=False, recorder='fc')),
                loss_ac=dict(
                    feat_T=dict(
                        from_student=False, recorder='neck', data_idx=0))))
    else:
        gen = dict(
            type='ConfigurableDistiller',
            student_recorders=student_rec,
            teacher_recorders=teacher_rec,
            distill_losses=dict(loss_l1=dict(type='L1Loss', loss_weight=-1.)),
            loss_forward_mappings=dict(
                loss_l1=dict(
                    s_feature=dict(from_student=True, recorder='fc'),
                    t_feature=dict(from_student=False, recorder='fc'))))
    return dict(
        type=alg,
        architecture=classifier_cfg(base=4),
        teachers=dict(t=dict(build_cfg=classifier_cfg(base=8))),
        generator=dict(
            type='DAFLGenerator',
            img_size=16,
            latent_dim=8,
            hidden_channels=8,
            out_channels=1),
        distiller=kd,
        generator_distiller=gen,
        student_iter=2)


@pytest.mark.parametrize(
    'alg',
    ['mmrazor.DataFreeDistillation', 'mmrazor.DAFLDataFreeDistillation'])
def test_data_free(alg):
    torch.manual_seed(0)
    algo = MODELS.build(_datafree_cfg(alg))
    algo.train()
    assert not algo.teachers.t.training
    optim = SeparateOptimWrapperConstructor(
        dict(
            architecture=dict(optimizer=dict(type='SGD', lr=0.1)),
            generator=dict(optimizer=dict(type='Adam', lr=1e-3))))(
                algo)
    assert isinstance(optim, OptimWrapperDict)
    s_before = algo.student.head.fc.weight.clone()
    g_before = algo.generator.linear.weight.clone()
    t_before = algo.teachers.t.head.fc.weight.clone()
    log = algo.train_step(batch(), optim)
    assert 'distill.loss_kl' in log
    assert any(k.startswith('generator.') for k in log)
    assert not torch.equal(s_before, algo.student.head.fc.weight)
    assert not torch.equal(g_before, algo.generator.linear.weight)
    assert torch.equal(t_before, algo.teachers.t.head.fc.weight)
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        algo.train_step(
            batch(), OptimWrapper(torch.optim.SGD(algo.parameters(), lr=0.1)))


def test_separate_optim_wrapper_errors():
    algo = MODELS.build(std_cfg())
    with pytest.raises(KeyError, match='mutator.*children'):
        SeparateOptimWrapperConstructor(
            dict(mutator=dict(optimizer=dict(type='SGD', lr=0.1))))(
                algo)


def test_logits_distiller_exports():
    assert logits_distiller()['type'] == 'ConfigurableDistiller'
