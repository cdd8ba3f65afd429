# Copyright (c) OpenMMLab. All rights reserved.
"""An MMEngine ``Config`` is accepted wherever a config dict is."""
import torch
from mmengine.config import Config, ConfigDict
from torch import nn

import mmrazor  # noqa: F401
from mmrazor.utils.config_dict import as_config_dict


def test_as_config_dict():
    cfg = Config(dict(a=dict(b=1)))
    out = as_config_dict(cfg)
    assert isinstance(out, ConfigDict) and out.a.b == 1
    plain = dict(a=1)
    assert as_config_dict(plain) is plain
    assert as_config_dict(None) is None


def test_qconfig_handler_and_quantizer_take_config():
    from mmrazor.models.quantizers import OpenVINOQuantizer
    from mmrazor.structures.quantization import QConfigHandler
    from mmrazor.testing._quant_toys import toy_global_qconfig
    qconfig = toy_global_qconfig()
    from_dict = QConfigHandler(qconfig).convert()
    from_config = QConfigHandler(Config(qconfig)).convert()
    assert str(from_dict) == str(from_config)
    quantizer = OpenVINOQuantizer(
        global_qconfig=Config(qconfig),
        tracer=Config(dict(type='mmrazor.CustomTracer')))
    assert quantizer.qconfig.w_qscheme.is_per_channel


class _Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def test_recorders_distiller_and_optim_constructor_take_config():
    from mmrazor.engine import SeparateOptimWrapperConstructor
    from mmrazor.models.distillers import ConfigurableDistiller
    from mmrazor.models.task_modules import RecorderManager
    recorders = Config(dict(conv=dict(type='ModuleOutputs', source='conv')))
    manager = RecorderManager(recorders)
    net = _Net()
    manager.initialize(net)
    with manager:
        net(torch.randn(1, 3, 8, 8))
    assert manager.get_recorder('conv').get_record_data().shape == \
        (1, 4, 6, 6)

    distiller = ConfigurableDistiller(
        student_recorders=recorders,
        teacher_recorders=recorders,
        distill_losses=Config(dict(loss_mse=dict(type='L2Loss'))),
        loss_forward_mappings=Config(
            dict(
                loss_mse=dict(
                    s_feature=dict(from_student=True, recorder='conv'),
                    t_feature=dict(from_student=False, recorder='conv')))))
    assert 'loss_mse' in distiller.distill_losses

    class Pair(nn.Module):

        def __init__(self):
            super().__init__()
            self.architecture = _Net()
            self.generator = _Net()

    optim = SeparateOptimWrapperConstructor(
        Config(
            dict(
                architecture=dict(optimizer=dict(type='SGD', lr=0.1)),
                generator=dict(optimizer=dict(type='SGD', lr=0.2)))))(
                    Pair())
    assert set(optim.keys()) == {'architecture', 'generator'}


def test_algorithm_and_subnet_take_config():
    from mmrazor.models import SPOS
    from mmrazor.structures.subnet import load_fix_subnet
    arch = Config(
        dict(
            type='mmcls.ImageClassifier',
            backbone=dict(
                type='mmrazor.SearchableShuffleNetV2',
                widen_factor=0.5,
                out_indices=(1, ),
                arch_setting=[[
                    16, 1,
                    dict(
                        type='mmrazor.OneShotMutableOP',
                        candidates=dict(
                            shuffle_3x3=dict(
                                type='mmrazor.ShuffleBlock', kernel_size=3),
                            shuffle_5x5=dict(
                                type='mmrazor.ShuffleBlock', kernel_size=5)))
                ]]),
            neck=dict(type='mmcls.GlobalAveragePooling'),
            head=dict(
                type='mmcls.LinearClsHead',
                num_classes=10,
                in_channels=1024,
                loss=dict(type='mmcls.CrossEntropyLoss'))))
    algo = SPOS(
        architecture=arch, mutator=Config(dict(type='mmrazor.NasMutator')))
    assert len(algo.mutator.search_groups) == 1
    load_fix_subnet(
        algo.architecture,
        Config({'backbone.layers.0.0': dict(chosen='shuffle_5x5')}))
    assert not any('shuffle_3x3' in n
                   for n, _ in algo.architecture.named_modules())
