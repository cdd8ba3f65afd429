# Copyright (c) OpenMMLab. All rights reserved.
"""Group Fisher: importance, pruning, hooks, sub-models, configs."""
import copy
import glob
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from mmrazor.implementations.pruning.group_fisher import (
    GroupFisherAlgorithm, GroupFisherChannelMutator, GroupFisherChannelUnit,
    GroupFisherConv2d, GroupFisherDDP, GroupFisherDeploySubModel,
    GroupFisherSubModel, ResourceInfoHook)
from mmrazor.models.architectures.dynamic_ops import DynamicMixin
from mmrazor.models.task_modules.estimators.counters import \
    get_model_flops_params
from mmrazor.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(REPO, 'configs/pruning/mmcls/group_fisher/digits')
DEMO = dict(type='BaseDemoInput', input_shape=(1, 3, 8, 8))


class Net(BaseModel):
    """conv-bn-relu, conv-bn-relu, a depthwise residual block, linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.bn3 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.relu(self.bn1(self.conv1(inputs)))
        x = torch.relu(self.bn2(self.conv2(x)))
        x = torch.relu(self.bn3(self.conv3(x))) + x
        out = self.fc(x.mean((2, 3)))
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, data_samples))
        return out


def build_algorithm(interval=2, normalization_type='flops', **kwargs):
    torch.manual_seed(0)
    return GroupFisherAlgorithm(
        Net(),
        mutator=dict(
            type='GroupFisherChannelMutator',
            parse_cfg=dict(
                type='ChannelAnalyzer',
                tracer_type='FxTracer',
                demo_input=DEMO),
            channel_unit_cfg=dict(
                type='GroupFisherChannelUnit',
                default_args=dict(
                    normalization_type=normalization_type, **kwargs))),
        interval=interval)


def batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=torch.rand(n, 3, 8, 8, generator=g),
        data_samples=torch.randint(0, 4, (n, ), generator=g))


def unit_of(algo, name):
    return {u.name: u for u in algo.mutator.units}[name]


def test_units_and_ops():
    algo = build_algorithm(mutate_linear=True)
    names = sorted(u.name for u in algo.mutator.mutable_units)
    assert names == ['conv1_(0, 8)_8', 'conv2_(0, 16)_16']
    assert isinstance(algo.architecture.conv2, GroupFisherConv2d)
    assert type(algo.architecture.fc).__name__ == 'GroupFisherLinear'
    assert all(u.has_fisher for u in algo.mutator.mutable_units)
    cfg = algo.mutator.config_template(with_unit_init_args=True)
    args = cfg['channel_unit_cfg']['units']['conv1_(0, 8)_8']['init_args']
    assert args['normalization_type'] == 'flops'
    assert args['mutate_linear'] is True


def test_fisher_matches_mask_gradients():
    """Fisher of a channel = sum over samples of (dL/dm)^2, m a mask on
    the channel at every op that reads it."""
    algo = build_algorithm(mutate_linear=True)
    algo.eval()  # BN statistics fixed: samples are independent
    arch = algo.architecture
    data = batch(3)
    mutator = algo.mutator
    mutator.start_record_info()
    loss = arch(data['inputs'], data['data_samples'], 'loss')['loss']
    loss.backward()
    mutator.end_record_info()
    mutator.update_imp()
    mutator.reset_recorded_info()
    ours = unit_of(algo, 'conv1_(0, 8)_8').fisher_info.clone()

    # reference: one sample at a time with an explicit mask on conv2's input
    ref = torch.zeros(8)
    conv2 = arch.conv2
    for i in range(3):
        m = torch.ones(8, requires_grad=True)
        hook = conv2.register_forward_pre_hook(
            lambda mod, args: (args[0] * m.view(1, -1, 1, 1), ))
        out = arch(data['inputs'][i:i + 1], data['data_samples'][i:i + 1],
                   'loss')['loss']
        hook.remove()
        # the batch loss is a mean over 3 samples
        (g, ) = torch.autograd.grad(out / 3, m)
        ref += g.detach()**2
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-10)
    assert (ours > 0).all()


def test_flops_delta_matches_counter():
    algo = build_algorithm()
    arch = algo.architecture
    arch(torch.rand(1, 3, 8, 8))  # record the shapes
    unit = unit_of(algo, 'conv2_(0, 16)_16')
    disabled = ['DynamicBatchNorm2dCounter']
    before, _ = get_model_flops_params(
        arch, (1, 3, 8, 8),
        units=dict(flops=None, params=None),
        disabled_counters=disabled)
    delta = unit.delta_flop_of_a_channel
    unit.prune_channel(5)
    after, _ = get_model_flops_params(
        arch, (1, 3, 8, 8),
        units=dict(flops=None, params=None),
        disabled_counters=disabled)
    # conv2: 8 inputs x 3x3 x 8x8 positions, the depthwise conv: 3x3 x 8x8
    assert delta == pytest.approx(8 * 9 * 64 + 9 * 64)
    # the counter adds the biases and the fc (4 outputs) that reads it
    assert before - after == pytest.approx(delta + 64 + 64 + 4)
    assert unit.delta_memory_of_a_channel == 2 * 64  # conv2, conv3 maps
    assert unit.mutable_channel.activated_channels == 15


@pytest.mark.parametrize('norm', ['flops', 'act'])
def test_prune_every_interval(norm):
    algo = build_algorithm(interval=3, normalization_type=norm)
    ow = OptimWrapper(torch.optim.SGD(algo.parameters(), lr=0.01))
    kept = lambda: {  # noqa: E731
        u.name: u.mutable_channel.activated_channels
        for u in algo.mutator.mutable_units
    }
    for i in range(2):
        algo.train_step(batch(seed=i), ow)
    assert sum(kept().values()) == 24
    unit = unit_of(algo, 'conv2_(0, 16)_16')
    assert unit.fisher_info.sum() > 0
    # the step that prunes takes the global minimum of the importance
    algo.mutator.start_record_info()
    algo.train_step(batch(seed=2), ow)
    assert sum(kept().values()) == 23
    assert len(algo.pruned) == 1
    assert all(u.fisher_info.sum() == 0 for u in algo.mutator.units)
    for i in range(3, 9):
        algo.train_step(batch(seed=i), ow)
    assert sum(kept().values()) == 21
    assert algo.num_steps == 9
    # a pruned channel is not chosen again
    name, index = algo.pruned[0]
    assert not bool(unit_of(algo, name).mutable_channel.current_mask[index])


def test_try_prune_picks_global_minimum_and_skips_nan():
    algo = build_algorithm()
    algo.architecture(torch.rand(1, 3, 8, 8))
    u1 = unit_of(algo, 'conv1_(0, 8)_8')
    u2 = unit_of(algo, 'conv2_(0, 16)_16')
    u1.fisher_info.fill_(100.)
    u2.fisher_info.fill_(100.)
    u2.fisher_info[7] = 1e-3
    assert algo.mutator.try_prune() == (u2.name, 7)
    u1.fisher_info[0] = float('nan')
    assert algo.mutator.try_prune() is None
    assert u1.mutable_channel.activated_channels == 8


def test_ddp_wrapper_reuses_train_step(tmp_path):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        algo = build_algorithm(interval=1)
        ddp = GroupFisherDDP(module=algo, broadcast_buffers=False)
        ow = OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=0.01))
        log = ddp.train_step(batch(), ow)
        ddp.train_step(batch(seed=1), ow)
        assert 'loss' in log
        assert algo.num_steps == 2 and len(algo.pruned) == 2
    finally:
        dist.destroy_process_group()


def test_bad_arguments():
    with pytest.raises(ValueError, match='normalization_type'):
        GroupFisherChannelUnit(8, normalization_type='l2')
    with pytest.raises(ValueError, match='interval'):
        build_algorithm(interval=0)
    with pytest.raises(TypeError, match='GroupFisherChannelUnit'):
        GroupFisherChannelMutator(
            channel_unit_cfg=dict(type='L1MutableChannelUnit'))
    with pytest.raises(ValueError, match='resource_type'):
        ResourceInfoHook(resource_type='latency')
    with pytest.raises(ValueError, match='save_ckpt_thr'):
        ResourceInfoHook(save_ckpt_thr=[1.5])


# --------------------------------------------------------------- sub-models
def pruned_algorithm():
    algo = build_algorithm()
    unit_of(algo, 'conv1_(0, 8)_8').current_choice = 5
    unit_of(algo, 'conv2_(0, 16)_16').current_choice = 11
    return algo


def test_sub_model_and_divisor(tmp_path):
    algo = pruned_algorithm()
    ckpt = str(tmp_path / 'flops_0.50.pth')
    torch.save(dict(state_dict=algo.state_dict(), meta={}), ckpt)
    cfg = dict(
        type='mmrazor.GroupFisherAlgorithm',
        architecture=Net(),
        mutator=dict(
            type='GroupFisherChannelMutator',
            parse_cfg=dict(
                type='ChannelAnalyzer',
                tracer_type='FxTracer',
                demo_input=DEMO)),
        init_cfg=dict(type='Pretrained', checkpoint=ckpt))
    x = torch.rand(2, 3, 8, 8)
    algo.eval()
    with torch.no_grad():
        expected = algo.architecture(x)
    for divisor, widths in ((1, (5, 11)), (4, (8, 12))):
        static = GroupFisherSubModel(copy.deepcopy(cfg), divisor=divisor)
        static.eval()
        assert not any(isinstance(m, DynamicMixin) for m in static.modules())
        assert static.conv1.out_channels == widths[0]
        assert static.conv2.out_channels == widths[1]
        assert static.conv3.groups == widths[1]
        with torch.no_grad():
            torch.testing.assert_close(static(x), expected)
        assert static.fix_subnet == {
            'conv1_(0, 8)_8': widths[0],
            'conv2_(0, 16)_16': widths[1]
        }
    with pytest.raises(ValueError, match='divisor'):
        GroupFisherSubModel(copy.deepcopy(cfg), divisor=0)
    with pytest.raises(ValueError, match=r'conv1_\(0, 5\)_5.*16.*8'):
        GroupFisherSubModel(copy.deepcopy(cfg), divisor=16)


def test_deploy_sub_model_and_bad_structures():
    algo = pruned_algorithm()
    structure = algo.mutator.current_choices
    _, static = __import__(
        'mmrazor.structures.subnet', fromlist=['x']).export_fix_subnet(
            algo, export_subnet_mode='mutator', slice_weight=True)
    parse_cfg = dict(
        type='ChannelAnalyzer', tracer_type='FxTracer', demo_input=DEMO)
    deploy = GroupFisherDeploySubModel(
        Net(), fix_subnet=structure, parse_cfg=parse_cfg)
    assert not any(isinstance(m, DynamicMixin) for m in deploy.modules())
    deploy.load_state_dict(static.architecture.state_dict())
    deploy.eval()
    static.eval()
    x = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(deploy(x), static.architecture(x))
    # divisor: the model is divisible as built (every path honours it:
    # tools/test.py, FLOPs, export), and the narrow finetune checkpoint
    # (5 and 11 channels) loads into it, through torch's and mmengine's
    # loaders, with the same outputs
    from mmengine.runner.checkpoint import load_state_dict as mme_load
    narrow = static.architecture.state_dict()
    assert narrow['conv1.weight'].shape == (5, 3, 3, 3)
    for load in ('torch', 'mmengine'):
        deploy8 = GroupFisherDeploySubModel(
            Net(), fix_subnet=structure, divisor=8, parse_cfg=parse_cfg)
        widths = (deploy8.conv1.out_channels, deploy8.conv2.out_channels,
                  deploy8.conv3.out_channels, deploy8.fc.in_features)
        assert widths == (8, 16, 16, 16)
        if load == 'torch':
            deploy8.load_state_dict(narrow)
        else:
            mme_load(deploy8, narrow, strict=True)
        deploy8.eval()
        with torch.no_grad():
            torch.testing.assert_close(deploy8(x), static.architecture(x))
        weight = deploy8.conv1.weight
        assert torch.equal(weight[:5], narrow['conv1.weight'])
        assert not weight[5:].any()
        assert torch.equal(deploy8.bn1.running_var[5:], torch.ones(3))
        # already divisible: post-processing returns the structure and
        # changes nothing
        structure8 = deploy8.post_process_for_mmdeploy()
        assert sorted(structure8.values()) == [8, 16]
        assert deploy8.conv1.weight is weight
        # the wide checkpoint loads as it is; another shape is an error
        deploy8.load_state_dict(deploy8.state_dict())
        bad = dict(deploy8.state_dict(),
                   **{'conv1.weight': torch.zeros(6, 3, 3, 3)})
        with pytest.raises(RuntimeError, match='conv1.weight'):
            deploy8.load_state_dict(bad)
    # a structure of another model
    with pytest.raises(KeyError, match=r'backbone.conv1_\(0, 64\)_64'):
        GroupFisherDeploySubModel(
            Net(),
            fix_subnet={'backbone.conv1_(0, 64)_64': 32},
            parse_cfg=parse_cfg)
    # widths beyond the layer
    with pytest.raises(ValueError, match=r'conv2_\(0, 16\)_16 keeps 20.*16'):
        GroupFisherDeploySubModel(
            Net(), fix_subnet={'conv2_(0, 16)_16': 20}, parse_cfg=parse_cfg)
    # a divisor that can not be met
    with pytest.raises(
            ValueError,
            match=r'conv1_\(0, 8\)_8 keeps 5 of 8.*'
            r'divisor 16 needs 16 > 8'):
        GroupFisherDeploySubModel(
            Net(), fix_subnet=structure, divisor=16, parse_cfg=parse_cfg)


def test_compat_module_paths():
    from mmrazor.engine.hooks import group_fisher_hooks
    from mmrazor.models.algorithms.pruning import group_fisher_algoritho
    from mmrazor.models.architectures.dynamic_ops.bricks import \
        group_fisher_ops
    from mmrazor.models.mutables.mutable_channel.units import \
        group_fisher_unit
    from mmrazor.models.mutators.channel_mutator import group_fisher_mutator
    from mmrazor.models.task_modules.estimators.counters.op_counters import \
        group_fisher_counters
    assert group_fisher_algoritho.GroupFisherAlgorithm is GroupFisherAlgorithm
    assert group_fisher_hooks.ResourceInfoHook is ResourceInfoHook
    assert group_fisher_ops.GroupFisherConv2d is GroupFisherConv2d
    assert group_fisher_unit.GroupFisherChannelUnit is \
        GroupFisherChannelUnit
    assert group_fisher_mutator.GroupFisherChannelMutator is \
        GroupFisherChannelMutator
    assert group_fisher_counters.GroupFisherConv2dCounter.__name__ == \
        'GroupFisherConv2dCounter'
    assert MODELS.get('GroupFisherSubModel') is GroupFisherSubModel


# ------------------------------------------------------------------ configs
def _configs(pattern):
    return sorted(glob.glob(osp.join(REPO, 'configs/pruning', pattern)))


CONFIGS = _configs('mmcls/group_fisher/*/*.py') + \
    _configs('mmdet/group_fisher/*/*.py')


def _build_config(path):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(path)
    m = cfg.model

    def no_pretrained(arch):
        arch.pop('init_cfg', None)
        arch.get('backbone', {}).pop('init_cfg', None)

    if m.type == 'GroupFisherAlgorithm':
        no_pretrained(m.architecture)
    elif m.type == 'GroupFisherSubModel':
        m.algorithm.init_cfg = None
        no_pretrained(m.algorithm.architecture)
    elif m.type == 'SingleTeacherDistill':
        m.teacher_ckpt = None
        m.architecture.algorithm.init_cfg = None
        no_pretrained(m.architecture.algorithm.architecture)
    elif m.type == 'GroupFisherDeploySubModel':
        m.fix_subnet = {}
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmrazor')):
        return cfg, MODELS.build(cfg.model)


@pytest.mark.slow
@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_configs_build(path):
    cfg, model = _build_config(path)
    if cfg.model.type == 'GroupFisherAlgorithm':
        assert len(model.mutator.mutable_units) > 5
        hooks = [h['type'] for h in cfg.custom_hooks]
        assert hooks[-2:] == [
            'mmrazor.PruningStructureHook', 'mmrazor.ResourceInfoHook'
        ]
        assert cfg.model_wrapper_cfg.type == 'mmrazor.GroupFisherDDP'
    else:
        assert not any(isinstance(m, DynamicMixin) for m in model.modules())


@pytest.mark.parametrize(
    'path',
    _configs('mmpose/group_fisher/*.py'),
    ids=lambda p: osp.basename(p))
def test_mmpose_configs_name_the_package(path):
    """Without mmpose the configs fail naming it; with it (``bash
    tools/setup_env.sh --mmpose``) they parse (the config sweep builds
    them)."""
    import importlib.util

    from mmengine.config import Config
    if importlib.util.find_spec('mmpose') is None:
        with pytest.raises(ModuleNotFoundError, match='mmpose'):
            Config.fromfile(path)
    else:
        cfg = Config.fromfile(path)
        assert cfg.model.type in ('GroupFisherAlgorithm',
                                  'GroupFisherSubModel',
                                  'GroupFisherDeploySubModel')


# ------------------------------------------------ digits chain (runner)
def _run(cfg, work_dir, train=True):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from mmrazor.utils import register_all_modules
    from mmrazor.utils.cli import add_checkpoint_state_hook
    register_all_modules(False)
    add_checkpoint_state_hook(cfg)
    cfg.work_dir = str(work_dir)
    cfg.default_hooks.logger.interval = 50
    cfg.default_hooks.checkpoint.interval = 1
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        runner = Runner.from_cfg(cfg)
        metrics = runner.train() if train else runner.test()
    return runner, metrics


@pytest.mark.slow
def test_digits_prune_finetune_deploy(tmp_path):
    """The digits chain through the runner, shortened: prune from random
    weights to 95 % FLOPs, finetune one epoch, test the deployed model."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(DIGITS, 'group_fisher_flops_prune_resnet18-w16_1xb32_'
                 'digits.py'))
    cfg.model.architecture.pop('init_cfg')
    cfg.model.interval = 1
    cfg.custom_hooks[-1].interval = 1
    cfg.custom_hooks[-1].save_ckpt_thr = [0.95]
    cfg.train_cfg.max_epochs = 4
    runner, _ = _run(cfg, tmp_path / 'prune')
    ckpt = tmp_path / 'prune' / 'flops_0.95.pth'
    assert ckpt.exists()
    assert not list((tmp_path / 'prune').glob('.*.tmp'))
    saved = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert saved['meta']['resource_type'] == 'flops'
    assert 0.9 < saved['meta']['ratio'] <= 0.95
    # stopped early (at the end of the epoch that reached the threshold)
    assert runner.epoch == saved['meta']['epoch'] + 1 < 4

    cfg = Config.fromfile(
        osp.join(DIGITS, 'group_fisher_flops_finetune_resnet18-w16_1xb32_'
                 'digits.py'))
    cfg.model.algorithm.init_cfg.checkpoint = str(ckpt)
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    cfg.param_scheduler = []
    runner, _ = _run(cfg, tmp_path / 'finetune')
    structure = json.load(open(tmp_path / 'finetune' / 'fix_subnet.json'))
    assert len(structure) == 12
    finetuned = runner.model
    assert not any(isinstance(m, DynamicMixin) for m in finetuned.modules())

    cfg = Config.fromfile(
        osp.join(DIGITS, 'group_fisher_flops_deploy_resnet18-w16_1xb32_'
                 'digits.py'))
    cfg.model.fix_subnet = str(tmp_path / 'finetune' / 'fix_subnet.json')
    cfg.load_from = str(tmp_path / 'finetune' / 'epoch_1.pth')
    runner, metrics = _run(cfg, tmp_path / 'deploy', train=False)
    deployed = runner.model
    assert not any(isinstance(m, DynamicMixin) for m in deployed.modules())
    assert metrics['accuracy/top1'] > 50
    x = torch.rand(2, 1, 16, 16)
    finetuned.eval()
    deployed.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            deployed(x, mode='tensor'), finetuned(x, mode='tensor'))
    flops = get_model_flops_params(deployed, (1, 1, 16, 16))[0]
    assert flops <= 0.95 * 8.801 + 0.01
    assert os.path.getsize(ckpt) > 0
