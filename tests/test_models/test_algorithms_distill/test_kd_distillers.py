# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
from kd_test_utils import classifier_cfg, logits_distiller
from torch import nn

from mmrazor.models.distillers import BYOTDistiller, ConfigurableDistiller
from mmrazor.registry import MODELS


class Net(nn.Module):

    def __init__(self, c=4):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 1)
        self.fc = nn.Linear(c, 5)

    def forward(self, x):
        f = self.conv(x)
        return self.fc(f.mean((2, 3)))


def make(**overrides):
    cfg = dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='conv'),
            fc=dict(type='ModuleOutputs', source='fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='conv'),
            fc=dict(type='ModuleOutputs', source='fc')),
        connectors=dict(align=[
            dict(
                type='ConvModuleConnector',
                in_channel=2,
                out_channel=4,
                act_cfg=None),
            dict(type='TorchNNConnector', module_name='Identity')
        ]),
        distill_losses=dict(
            loss_kl=dict(type='KLDivergence', tau=2),
            loss_feat=dict(type='L2Loss', normalize=False)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')),
            loss_feat=dict(
                s_feature=dict(
                    from_student=True, recorder='feat', connector='align'),
                t_feature=dict(from_student=False, recorder='feat'))))
    cfg.update(overrides)
    return ConfigurableDistiller(**copy.deepcopy(cfg))


def test_configurable_distiller_losses():
    distiller = make()
    assert isinstance(distiller.connectors['align'], nn.Sequential)
    student, teacher = Net(2), Net(4)
    distiller.prepare_from_student(student)
    distiller.prepare_from_teacher(teacher)
    x = torch.randn(3, 3, 4, 4)
    with distiller.teacher_recorders:
        out_t = teacher(x)
    with distiller.student_recorders:
        out_s = student(x)
    losses = distiller.compute_distill_losses()
    assert set(losses) == {'loss_kl', 'loss_feat'}
    ref_kl = MODELS.build(dict(type='KLDivergence', tau=2))(out_s, out_t)
    assert torch.allclose(losses['loss_kl'], ref_kl)
    aligned = distiller.connectors['align'](student.conv(x))
    ref = ((aligned - teacher.conv(x))**2).sum() / 3
    assert torch.allclose(losses['loss_feat'], ref, atol=1e-5)
    losses['loss_feat'].backward()
    assert distiller.connectors['align'][0].conv_module.conv.weight.grad \
        is not None


def test_mapping_validation_errors():
    with pytest.raises(
            KeyError, match=r"teacher recorder named 'fcc'.*"
            r"\['feat', 'fc'\]"):
        make(
            loss_forward_mappings=dict(
                loss_kl=dict(
                    preds_S=dict(from_student=True, recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fcc'))))
    with pytest.raises(
            ValueError,
            match=r"loss_kl.*KLDivergence.forward "
            r"has no argument 'pred_S'.*preds_S"):
        make(
            loss_forward_mappings=dict(
                loss_kl=dict(
                    pred_S=dict(from_student=True, recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fc'))))
    with pytest.raises(
            ValueError, match=r"loss_kl.*\['preds_T'\].*"
            'not mapped'):
        make(
            loss_forward_mappings=dict(
                loss_kl=dict(preds_S=dict(from_student=True, recorder='fc'))))
    with pytest.raises(KeyError, match=r"'loss_x' is not in distill_losses"):
        make(loss_forward_mappings=dict(loss_x=dict()))
    with pytest.raises(KeyError, match=r"connector named 'algn'"):
        make(
            loss_forward_mappings=dict(
                loss_feat=dict(
                    s_feature=dict(
                        from_student=True, recorder='feat', connector='algn'),
                    t_feature=dict(from_student=False, recorder='feat'))))
    with pytest.raises(KeyError, match='from_student'):
        make(
            loss_forward_mappings=dict(
                loss_kl=dict(
                    preds_S=dict(recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fc'))))
    with pytest.warns(UserWarning, match='must contain "loss"'):
        make(
            distill_losses=dict(
                kl=dict(type='KLDivergence'),
                loss_kl=dict(type='KLDivergence'),
                loss_feat=dict(type='L2Loss')))


def test_record_idx_data_idx_connector_idx():
    distiller = ConfigurableDistiller(
        student_recorders=dict(
            inp=dict(type='ModuleInputs', source='fc'),
            conv=dict(type='ModuleOutputs', source='conv')),
        teacher_recorders=dict(conv=dict(type='ModuleOutputs', source='conv')),
        connectors=dict(
            byot=dict(
                type='BYOTConnector',
                in_channel=4,
                out_channel=8,
                num_classes=5,
                expansion=1)),
        distill_losses=dict(
            loss_l1=dict(type='L1Loss'), loss_kl=dict(type='KLDivergence')),
        loss_forward_mappings=dict(
            loss_l1=dict(
                s_feature=dict(from_student=True, recorder='inp', data_idx=0),
                t_feature=dict(from_student=True, recorder='inp', data_idx=0)),
            loss_kl=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='conv',
                    connector='byot',
                    connector_idx=1),
                preds_T=dict(
                    from_student=False,
                    recorder='conv',
                    connector='byot',
                    connector_idx=1))))
    net = Net(4)
    distiller.prepare_from_student(net)
    distiller.prepare_from_teacher(net)
    x = torch.randn(2, 3, 8, 8)
    with distiller.student_recorders, distiller.teacher_recorders:
        net(x)
    losses = distiller.compute_distill_losses()
    assert losses['loss_l1'].item() == 0
    assert losses['loss_kl'].item() == pytest.approx(0, abs=1e-6)


def test_byot_distiller_detaches_teacher():
    cfg = dict(
        student_recorders=dict(fc=dict(type='ModuleOutputs', source='fc')),
        teacher_recorders=dict(fc=dict(type='ModuleOutputs', source='fc')),
        distill_losses=dict(
            loss_kl=dict(type='KLDivergence', teacher_detach=False)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc'))))
    distiller = BYOTDistiller(**cfg)
    net = Net()
    distiller.prepare_from_student(net)
    distiller.prepare_from_teacher(net)
    with distiller.student_recorders, distiller.teacher_recorders:
        net(torch.randn(2, 3, 4, 4))
    rec = distiller.get_record('fc', False)
    assert not rec.requires_grad
    assert distiller.get_record('fc', True).requires_grad


def test_logits_distiller_on_classifier():
    distiller = MODELS.build(logits_distiller())
    model = MODELS.build(classifier_cfg())
    distiller.prepare_from_student(model)
    distiller.prepare_from_teacher(model)
    x = torch.randn(2, 1, 16, 16)
    with distiller.student_recorders, distiller.teacher_recorders:
        model(x)
    assert distiller.compute_distill_losses()['loss_kl'].item() == \
        pytest.approx(0, abs=1e-6)
