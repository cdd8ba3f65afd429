# Copyright (c) OpenMMLab. All rights reserved.
"""AutoSlim (sandwich rule + in-place distillation), SlimmableNetwork (one
update per subnet, deploy_index), their DDP wrappers, and DCFF (temperature
schedule, fusion, export and compact reload), on a tiny ResNet."""
import mmpretrain.registry  # noqa: F401,I001
import copy
import json
import os.path as osp
import re
import socket

import pytest
import torch
import torch.distributed as dist
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models import (DCFF, AutoSlim, AutoSlimDDP, SlimmableNetwork,
                            SlimmableNetworkDDP)
from mmrazor.models.algorithms.pruning.dcff import dcff_temperature
from mmrazor.models.architectures.dynamic_ops import (DynamicMixin, FuseConv2d,
                                                      SwitchableBatchNorm2d)
from mmrazor.registry import MODELS


def _arch():
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8,
            num_stages=2,
            out_indices=(1, ),
            strides=(1, 2),
            dilations=(1, 1)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=16,
            loss=dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(
            type='ClsDataPreprocessor', mean=[0.], std=[1.]))


PARSE = dict(
    type='ChannelAnalyzer',
    demo_input=dict(
        type='DefaultDemoInput', input_shape=(1, 1, 8, 8), scope='mmcls'))

DISTILLER = dict(
    type='ConfigurableDistiller',
    teacher_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    student_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    distill_losses=dict(
        loss_kl=dict(type='KLDivergence', tau=1, loss_weight=1)),
    loss_forward_mappings=dict(
        loss_kl=dict(
            preds_S=dict(recorder='fc', from_student=True),
            preds_T=dict(recorder='fc', from_student=False))))

ONESHOT = dict(
    type='OneShotChannelMutator',
    channel_unit_cfg=dict(
        type='OneShotMutableChannelUnit',
        default_args=dict(
            candidate_choices=[0.5, 0.75, 1.0], choice_mode='ratio')),
    parse_cfg=PARSE)


def _data(n=4):
    from mmpretrain.structures import DataSample
    torch.manual_seed(0)
    return dict(
        inputs=[torch.rand(1, 8, 8) * 255 for _ in range(n)],
        data_samples=[DataSample().set_gt_label(i % 3) for i in range(n)])


def _hub(name, max_iters=4, max_epochs=1, it=0):
    hub = MessageHub.get_instance(name)
    hub.update_info('max_iters', max_iters)
    hub.update_info('max_epochs', max_epochs)
    hub.update_info('iter', it)
    return hub


@pytest.fixture(scope='module')
def autoslim():
    torch.manual_seed(0)
    return AutoSlim(
        mutator=copy.deepcopy(ONESHOT),
        distiller=copy.deepcopy(DISTILLER),
        architecture=_arch())


@pytest.fixture(scope='module')
def units_cfg(autoslim):
    """Two subnets: half width and full width of every unit."""
    return {
        u.name:
        dict(
            init_args=dict(
                num_channels=u.num_channels,
                candidate_choices=[u.num_channels // 2, u.num_channels]),
            choice=u.num_channels)
        for u in autoslim.mutator.mutable_units
    }


def _slimmable(units, num_classes=3, **kwargs):
    arch = _arch()
    arch['head']['num_classes'] = num_classes
    return SlimmableNetwork(
        mutator=dict(
            type='SlimmableChannelMutator',
            channel_unit_cfg=dict(type='SlimmableChannelUnit', units=units),
            parse_cfg=PARSE),
        architecture=arch,
        **kwargs)


def test_autoslim_sandwich_train_step(autoslim):
    assert autoslim.sample_kinds == ['max', 'min', 'random0', 'random1']
    hub = _hub('test_autoslim_step')
    optim = OptimWrapper(torch.optim.SGD(autoslim.parameters(), lr=0.1))
    optim.message_hub = hub
    calls = []
    update = optim.update_params
    optim.update_params = lambda loss: (calls.append(float(loss.detach())),
                                        update(loss))
    before = [p.detach().clone() for p in autoslim.parameters()]
    log_vars = autoslim.train_step(_data(), optim)
    assert set(log_vars) == {
        'max_subnet.loss', 'min_subnet.loss', 'min_subnet.loss_kl',
        'random0_subnet.loss', 'random0_subnet.loss_kl', 'random1_subnet.loss',
        'random1_subnet.loss_kl'
    }
    # one update per subnet, accumulated into one optimizer step
    assert len(calls) == 4
    assert optim._accumulative_counts == 4
    after = list(autoslim.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    # the min subnet's loss is its hard loss plus the distillation loss
    assert float(log_vars['min_subnet.loss_kl'].detach()) >= 0
    autoslim.set_min_subnet()
    assert all(u.current_choice == 0.5 for u in autoslim.mutator.mutable_units)


def test_autoslim_norm_training(autoslim):
    autoslim.norm_training = True
    autoslim.eval()
    bns = [m for m in autoslim.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(m.training for m in bns)
    autoslim.norm_training = False
    autoslim.eval()
    assert not any(m.training for m in bns)
    with pytest.raises(TypeError, match='OneShotChannelMutator'):
        AutoSlim(
            mutator=dict(type='ChannelMutator', parse_cfg=PARSE),
            distiller=copy.deepcopy(DISTILLER),
            architecture=_arch())


def test_slimmable_network_trains_every_subnet(units_cfg):
    torch.manual_seed(0)
    slim = _slimmable(units_cfg)
    assert len(slim.mutator.subnets) == 2
    bns = [m for m in slim.modules() if isinstance(m, SwitchableBatchNorm2d)]
    assert bns and all(len(m.candidates) == 2 for m in bns)
    with pytest.raises(RuntimeError, match='does not sample'):
        slim.mutator.sample_choices()
    optim = OptimWrapper(torch.optim.SGD(slim.parameters(), lr=0.1))
    calls = []
    update = optim.update_params
    optim.update_params = lambda loss: (calls.append(1), update(loss))
    log_vars = slim.train_step(_data(), optim)
    assert set(log_vars) == {'subnet_0.loss', 'subnet_1.loss'}
    assert len(calls) == 2
    # each width trained its own BN statistics
    bn = bns[0]
    assert int(bn.candidate_bn[str(bn.candidates[0])].num_batches_tracked) \
        == 1
    assert int(bn.candidate_bn[str(bn.candidates[1])].num_batches_tracked) \
        == 1


def test_slimmable_deploy_loads_supernet_weights(units_cfg):
    torch.manual_seed(0)
    slim = _slimmable(units_cfg)
    slim.train_step(_data(),
                    OptimWrapper(torch.optim.SGD(slim.parameters(), lr=0.1)))
    deployed = _slimmable(units_cfg, deploy_index=0)
    assert deployed.is_deployed
    assert not any(isinstance(m, DynamicMixin) for m in deployed.modules())
    deployed.load_state_dict(slim.state_dict(), strict=False)
    slim.eval()
    deployed.eval()
    slim.mutator.set_choices(slim.mutator.subnets[0])
    x = torch.rand(2, 1, 8, 8)
    assert torch.allclose(slim(x), deployed(x), atol=1e-5)
    with pytest.raises(ValueError, match='deploy_index 2 is out of range'):
        _slimmable(units_cfg, deploy_index=2)


def test_slimmable_bad_channel_configs(units_cfg):
    other = {f'neck.{k}': v for k, v in units_cfg.items()}
    with pytest.raises(KeyError, match='does not have'):
        _slimmable(other)
    name = next(iter(units_cfg))
    wide = copy.deepcopy(units_cfg)
    wide[name]['init_args']['candidate_choices'] = [4, 99]
    with pytest.raises(ValueError) as info:
        _slimmable(wide)
    # the unit is named by its module path (not by its channel number)
    # with the numbers, and its modules are listed
    message = str(info.value)
    assert message.startswith(f'unit {name}: choice 99 exceeds its 8 '
                              'channels'), message
    assert 'unit_8' not in message
    module = name.rsplit('_(', 1)[0]
    assert f'[SlimmableChannelUnit of 8 channels: {module} out 0:8' \
        in message
    ragged = copy.deepcopy(units_cfg)
    ragged[name]['init_args']['candidate_choices'] = [4]
    with pytest.raises(ValueError, match='one candidate choice per subnet'):
        _slimmable(ragged)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_ddp_wrappers_share_the_train_step(autoslim, units_cfg):
    """Both DDP wrappers run the algorithm's one training step through the
    wrapper (a one-process gloo group)."""
    if not dist.is_initialized():
        dist.init_process_group(
            'gloo',
            init_method=f'tcp://127.0.0.1:{_free_port()}',
            rank=0,
            world_size=1)
    try:
        slim = _slimmable(units_cfg)
        for module, wrapper_type, keys in (
            (autoslim, AutoSlimDDP, 'max_subnet.loss'),
            (slim, SlimmableNetworkDDP, 'subnet_1.loss'),
        ):
            wrapper = wrapper_type(
                module=module,
                broadcast_buffers=False,
                find_unused_parameters=True)
            assert type(wrapper).train_step is not type(module).train_step
            optim = OptimWrapper(torch.optim.SGD(module.parameters(), lr=.1))
            optim.message_hub = _hub('test_ddp_wrappers')
            seen = []
            original = type(module)._train_step

            def spy(self, model, data, ow, _orig=original):
                seen.append(model)
                return _orig(self, model, data, ow)

            type(module)._train_step = spy
            try:
                log_vars = wrapper.train_step(_data(), optim)
            finally:
                type(module)._train_step = original
            assert keys in log_vars
            assert seen == [wrapper]
    finally:
        dist.destroy_process_group()


def test_dcff_temperature_schedule():
    assert dcff_temperature(0, 10) == pytest.approx(1.)
    assert dcff_temperature(10, 10) == pytest.approx(1e-4)
    mid = dcff_temperature(2, 10)
    assert 1e-4 < mid < 1.


def _dcff(units, **kwargs):
    return DCFF(
        _arch(),
        mutator_cfg=dict(
            type='DCFFChannelMutator',
            channel_unit_cfg=dict(
                type='DCFFChannelUnit',
                default_args=dict(choice_mode='ratio')),
            parse_cfg=PARSE),
        target_pruning_ratio={u: 0.5
                              for u in units},
        **kwargs)


def test_dcff_schedule_rules(units_cfg):
    data = _data()['data_samples']
    algo = _dcff(units_cfg, step_freq=1, prune_times=2)
    _hub('test_dcff_rules', max_iters=4)
    algo.train()
    with pytest.raises(ValueError, match='exactly one of step_freq'):
        algo(torch.rand(4, 1, 8, 8), data, mode='loss')
    algo = _dcff(units_cfg, step_freq=0, prune_times=0)
    with pytest.raises(ValueError, match='exactly one of step_freq'):
        algo(torch.rand(4, 1, 8, 8), data, mode='loss')
    algo = _dcff(units_cfg, step_freq=0, prune_times=2)
    algo.train()
    algo(torch.rand(4, 1, 8, 8), data, mode='loss')
    manager = algo.prune_config_manager
    assert (manager.step_freq, manager.prune_times) == (2, 2)


def test_dcff_fuses_exports_and_reloads_compact(units_cfg, tmp_path):
    from mmrazor.engine.runner.ite_prune_val_loop import save_pruned_subnet
    from mmrazor.registry import MODELS
    torch.manual_seed(0)
    algo = _dcff(units_cfg, step_freq=1)
    hub = _hub('test_dcff_fuse', max_iters=4)
    algo.train()
    data = _data()['data_samples']
    algo(torch.rand(4, 1, 8, 8), data, mode='loss')
    convs = [m for m in algo.modules() if isinstance(m, FuseConv2d)]
    assert convs and all(
        getattr(m, 'choice', None) is not None for m in convs
        if m.get_mask('out_channels', m.out_channels) is not None)
    first = [m.choice.clone() for m in convs if hasattr(m, 'choice')]
    hub.update_info('iter', 3)
    algo(torch.rand(4, 1, 8, 8), data, mode='loss')
    later = [m.choice for m in convs if hasattr(m, 'choice')]
    # a lower temperature: sharper fusion
    assert float(later[0].max()) > float(first[0].max())
    algo.eval()
    x = torch.rand(2, 1, 8, 8)
    expected = algo(x)
    json_path, pth_path = save_pruned_subnet(algo, str(tmp_path))
    fix_subnet = json.load(open(json_path))
    assert fix_subnet['type'] == 'DCFFChannelMutator'
    compact = MODELS.build(
        dict(
            type='mmrazor.sub_model',
            cfg=_arch(),
            fix_subnet=json_path,
            mode='mutator',
            init_cfg=dict(type='Pretrained', checkpoint=pth_path)))
    compact.init_weights()
    compact.eval()
    assert not any(isinstance(m, DynamicMixin) for m in compact.modules())
    assert torch.allclose(compact(x), expected, atol=1e-4)
    assert osp.exists(pth_path)


def test_dcff_bad_fix_subnet(units_cfg, tmp_path):
    """A fix_subnet.json whose unit widths exceed the layers, or written
    for another model, is an error naming the unit and the numbers."""
    from mmrazor.structures.subnet import load_fix_subnet
    units = {
        name:
        dict(
            init_args=dict(
                num_channels=cfg['init_args']['num_channels'],
                choice_mode='number'),
            choice=cfg['init_args']['num_channels'])
        for name, cfg in units_cfg.items()
    }
    fix = dict(
        type='DCFFChannelMutator',
        channel_unit_cfg=dict(
            type='DCFFChannelUnit',
            default_args=dict(choice_mode='ratio'),
            units=units),
        parse_cfg=PARSE)
    name = next(iter(units))
    wide = copy.deepcopy(fix)
    wide['channel_unit_cfg']['units'][name]['choice'] = 64
    # a choice above the unit keeps every channel, with a warning naming
    # the unit and the numbers (published structure files hold such)
    with pytest.warns(UserWarning, match=re.escape(name) + r'.* 64 .*\b8\b'):
        load_fix_subnet(MODELS.build(_arch()), wide, 'mutator')
    wider = copy.deepcopy(fix)
    wider['channel_unit_cfg']['units'][name]['init_args']['num_channels'] = 32
    with pytest.raises(ValueError, match=r'gives the unit 32 channels'):
        load_fix_subnet(MODELS.build(_arch()), wider, 'mutator')
    other = copy.deepcopy(fix)
    other['channel_unit_cfg']['units'] = {
        f'x.{k}': v
        for k, v in units.items()
    }
    with pytest.raises(KeyError, match='does not have'):
        load_fix_subnet(MODELS.build(_arch()), other, 'mutator')


def test_divisor_that_cannot_be_met():
    from mmrazor.models.mutables import DCFFChannelUnit, SlimmableChannelUnit
    unit = DCFFChannelUnit(12, choice_mode='number', divisor=8)
    with pytest.raises(
            ValueError,
            match='can not be made divisible by 8 '
            r'within its 12 channels \(got 12\)'):
        unit.current_choice = 10
    unit.current_choice = 8
    assert unit.current_choice == 8
    with pytest.raises(ValueError, match='divisible by 8'):
        SlimmableChannelUnit(12, candidate_choices=[8, 12], divisor=8)


def test_slimmable_val_loop_through_a_runner(units_cfg, tmp_path):
    """SlimmableValLoop validates every subnet (keys ``subnet_{i}.``)."""
    from mmengine.runner import Runner
    slim = _slimmable(units_cfg, num_classes=10)
    runner = Runner(
        model=slim,
        work_dir=str(tmp_path),
        val_dataloader=dict(
            batch_size=90,
            num_workers=0,
            dataset=dict(
                type='mmrazor.DigitsDataset',
                split='val',
                img_size=8,
                channels=1,
                pipeline=[dict(type='mmcls.PackClsInputs')]),
            sampler=dict(type='DefaultSampler', shuffle=False)),
        val_cfg=dict(type='mmrazor.SlimmableValLoop'),
        val_evaluator=dict(type='mmcls.Accuracy', topk=(1, )),
        log_level='WARNING',
        default_scope='mmrazor')
    metrics = runner.val()
    assert set(metrics) == {
        'subnet_0.accuracy/top1', 'subnet_1.accuracy/top1'
    }
    assert all(0 <= v <= 100 for v in metrics.values())
