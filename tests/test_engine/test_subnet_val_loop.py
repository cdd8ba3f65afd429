# Copyright (c) OpenMMLab. All rights reserved.
"""SubnetValLoop: max / min / random subnets after exact BN
recalibration, resources in the metrics; or one fixed subnet."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmrazor  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(REPO, 'configs/nas/mmcls/bignas/digits')


def _runner(cfg, tmp_path):
    cfg.work_dir = str(tmp_path)
    cfg.val_dataloader.batch_size = 128
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=100)
    cfg.default_hooks.checkpoint = None
    cfg.model_wrapper_cfg = None
    cfg.visualizer = None
    cfg.log_level = 'WARNING'
    return Runner.from_cfg(cfg)


@pytest.fixture(scope='module')
def supernet_cfg():
    cfg = Config.fromfile(
        osp.join(DIGITS, 'attentive_mobilenet-tiny_supernet_1xb32_digits.py'))
    cfg.val_cfg.calibrate_sample_num = 64
    cfg.model.num_random_samples = 1
    return cfg


@pytest.mark.slow
def test_supernet_kinds_with_resources(supernet_cfg, tmp_path):
    runner = _runner(copy.deepcopy(supernet_cfg), tmp_path)
    model = runner.model
    calibrated = []
    loop = runner.val_loop
    orig = loop.calibrate_bn_statistics

    def spy(dataloader, num):
        orig(dataloader, num)
        bn = model.architecture.backbone.first_conv.bn
        calibrated.append(
            (model.architecture.backbone.first_mutable_channels.
             current_choice, bn.running_mean.clone()))

    loop.calibrate_bn_statistics = spy
    metrics = runner.val()
    for kind in ('max', 'min', 'random0'):
        assert 0 <= metrics[f'{kind}_subnet.accuracy/top1'] <= 100
        assert metrics[f'{kind}_subnet.flops'] > 0
        assert metrics[f'{kind}_subnet.params'] > 0
    assert metrics['max_subnet.flops'] > 3 * metrics['min_subnet.flops']
    assert [c for c, _ in calibrated][:2] == [16, 8]
    # exact statistics of the min subnet's first BN over >= 64 samples
    model.mutator.set_min_choices()
    inputs = []
    for batch in runner.train_dataloader:
        inputs.append(model.data_preprocessor(batch, False)['inputs'])
        if sum(len(x) for x in inputs) >= 64:
            break
    x = torch.cat(inputs)
    arch = model.architecture
    with torch.no_grad():
        feats = arch.backbone.first_conv.conv(arch.input_resizer(x))
    torch.testing.assert_close(
        calibrated[1][1][:8], feats.mean((0, 2, 3)), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_fixed_subnet(tmp_path):
    cfg = Config.fromfile(
        osp.join(DIGITS, 'attentive_mobilenet-tiny_subnet_1xb32_digits.py'))
    cfg.model.init_cfg = None
    cfg.val_cfg.calibrate_sample_num = 32
    runner = _runner(cfg, tmp_path)
    metrics = runner.val()
    assert set(metrics) == {
        'fix_subnet.accuracy/top1', 'fix_subnet.flops', 'fix_subnet.params'
    }


def test_supernet_needs_sample_kinds(tmp_path):
    from mmrazor.engine.runner import SubnetValLoop

    class _Runner:
        model = torch.nn.Linear(1, 1)

    loop = SubnetValLoop.__new__(SubnetValLoop)
    loop.model = _Runner.model
    loop.evaluate_fixed_subnet = False
    with pytest.raises(AttributeError, match='evaluate_fixed_subnet'):
        loop._kinds()
