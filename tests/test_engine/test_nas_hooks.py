# Copyright (c) OpenMMLab. All rights reserved.
# mmpretrain first: works around the foundation's MODEL_WRAPPERS iteration
# issue in the first `init_weights` of a process (see the report).
import mmpretrain.registry  # noqa: F401,I001
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
import torch.nn as nn
import yaml
from mmengine.logging import MessageHub

from mmrazor.engine.hooks import DumpSubnetHook, EstimateResourcesHook
from mmrazor.models import SPOS
from mmrazor.models.mutables import OneShotMutableOP
from mmrazor.registry import HOOKS


class Supernet(nn.Module):

    def __init__(self):
        super().__init__()
        self.op = OneShotMutableOP(
            nn.ModuleDict({
                'small': nn.Conv2d(3, 4, 1),
                'large': nn.Conv2d(3, 4, 5, padding=2)
            }))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.op(inputs)


def _runner(tmp_path, epoch=0, max_epochs=2):
    return SimpleNamespace(
        model=SPOS(Supernet()),
        work_dir=str(tmp_path),
        epoch=epoch,
        iter=epoch,
        max_epochs=max_epochs,
        max_iters=max_epochs,
        logger=logging.getLogger('test'),
        message_hub=MessageHub.get_instance('test_nas_hooks'),
        rank=0)


def test_dump_subnet_hook(tmp_path):
    hook = HOOKS.build(
        dict(type='mmrazor.DumpSubnetHook', interval=1, max_keep_subnets=1))
    assert isinstance(hook, DumpSubnetHook)
    runner = _runner(tmp_path)
    hook.before_train(runner)
    hook.after_train_epoch(runner)
    path = osp.join(str(tmp_path), 'subnet_epoch_1.yaml')
    subnet = yaml.safe_load(open(path))
    assert list(subnet) == ['op'
                            ] and subnet['op']['chosen'] in ('small', 'large')
    runner.epoch = 1
    hook.after_train_epoch(runner)
    assert not osp.exists(path)  # max_keep_subnets=1
    assert osp.exists(osp.join(str(tmp_path), 'subnet_epoch_2.yaml'))
    # the model itself is untouched (a deep copy is sampled)
    assert runner.model.architecture.op.current_choice is None


def test_estimate_resources_hook(tmp_path):
    hook = EstimateResourcesHook(
        estimator_cfg=dict(
            input_shape=(1, 3, 8, 8), units=dict(flops=None, params=None)))
    runner = _runner(tmp_path)
    hook.after_val_epoch(runner)
    small = (3 * 4 + 4) * 64
    large = (3 * 4 * 25 + 4) * 64
    assert hook.last_results['flops'] in (small, large)
    assert runner.message_hub.get_scalar('resources/flops').current() in (
        small, large)
    assert not runner.model.architecture.op.is_fixed
    with pytest.raises(AttributeError, match='mutator'):
        bad = _runner(tmp_path)
        bad.model = Supernet()
        DumpSubnetHook(interval=1).before_train(bad)
        DumpSubnetHook(
            interval=1, out_dir=str(tmp_path))._save_subnet(bad, 'x.yaml')
