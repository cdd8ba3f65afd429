# Copyright (c) OpenMMLab. All rights reserved.
# mmpretrain first: works around the foundation's MODEL_WRAPPERS iteration
# issue in the first `init_weights` of a process.
import mmpretrain.registry  # noqa: F401,I001

"""GreedySamplerTrainLoop on a tiny digits supernet, through a Runner:
schedule, pool, the subnet trained per iteration, kill and resume."""
import json
import os.path as osp
import random

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

import mmrazor  # noqa: F401
from mmrazor.engine.runner import GreedySamplerTrainLoop
from mmrazor.registry import HOOKS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUPERNET_CFG = osp.join(
    REPO, 'configs/nas/mmcls/spos/digits/'
    'spos_shufflenet-tiny_supernet_1xb32_digits.py')


class _Crash(Exception):
    pass


@HOOKS.register_module(force=True)
class _CrashAfterIterHook(Hook):
    """Simulates a killed job: raises after ``iter`` iterations."""

    def __init__(self, iter):
        self.iter = iter

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        if runner.iter + 1 >= self.iter:
            raise _Crash(f'killed after iteration {self.iter}')


@HOOKS.register_module(force=True)
class _RecordSubnetHook(Hook):
    """Records the subnet active during every train step."""

    def __init__(self):
        self.subnets = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.subnets.append(runner.model.mutator.current_choices)


def _cfg(work_dir, max_iters=6, **loop):
    cfg = Config.fromfile(SUPERNET_CFG)
    cfg.work_dir = str(work_dir)
    arch = cfg.model.architecture.backbone.arch_setting
    cfg.model.architecture.backbone.arch_setting = [[8, 1, arch[0][2]],
                                                    [16, 1, arch[0][2]]]
    cfg.model.architecture.backbone.out_indices = (2, )
    cfg.train_dataloader.dataset.indices = 64
    cfg.train_dataloader.batch_size = 16
    cfg.val_dataloader.dataset.indices = 64
    cfg.val_dataloader.batch_size = 16
    cfg.train_cfg = dict(
        type='mmrazor.GreedySamplerTrainLoop',
        dataloader_val=cfg.val_dataloader,
        evaluator=cfg.val_evaluator,
        max_iters=max_iters,
        val_interval=1000,
        score_key='accuracy/top1',
        constraints_range=dict(flops=(0, 1e9)),
        estimator_cfg=dict(
            type='mmrazor.ResourceEstimator', input_shape=(1, 1, 16, 16)),
        num_candidates=50,
        num_samples=4,
        top_k=2,
        prob_schedule='linear',
        schedule_start_iter=1,
        schedule_end_iter=4,
        init_prob=0.0,
        max_prob=0.8)
    cfg.train_cfg.update(loop)
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = None
    cfg.default_hooks = dict(
        logger=dict(type='LoggerHook', interval=100),
        checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False))
    cfg.log_level = 'WARNING'
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    return cfg


def _runner(cfg):
    from mmengine.runner import Runner

    from mmrazor.utils.cli import add_checkpoint_state_hook
    add_checkpoint_state_hook(cfg)  # weights_only-loadable checkpoints
    random.seed(0)
    torch.manual_seed(0)
    return Runner.from_cfg(cfg)


def _pool(work_dir):
    with open(osp.join(work_dir, 'greedy_sampler_candidates.json')) as f:
        return json.load(f)


@pytest.mark.slow
def test_greedy_loop_trains_pool_subnets_and_resumes(tmp_path):
    work = tmp_path / 'run'
    # 1. killed after 3 iterations (checkpoint at iteration 2)
    cfg = _cfg(work)
    cfg.custom_hooks = [
        dict(type='mmrazor._RecordSubnetHook'),
        dict(type='mmrazor._CrashAfterIterHook', iter=3)
    ]
    runner = _runner(cfg)
    with pytest.raises(_Crash):
        runner.train()
    loop = runner.train_loop
    assert isinstance(loop, GreedySamplerTrainLoop)
    recorder = runner.hooks[[type(h).__name__
                             for h in runner.hooks].index('_RecordSubnetHook')]
    state = _pool(str(work))
    assert state['iter'] == 2  # written after the train step of iter 2
    before = {
        json.dumps(c['subnet'], sort_keys=True): c['score']
        for c in state['candidates']
    }
    # every iteration adds its top-2 (duplicates merge)
    assert 2 <= len(before) <= 6
    scores = [c['score'] for c in state['candidates']]
    assert scores == sorted(scores, reverse=True)
    # the trained subnet of each iteration is one of the pool's candidates
    keys = {json.dumps(s, sort_keys=True) for s in recorder.subnets}
    assert keys <= set(before)
    assert osp.isfile(work / 'iter_2.pth')

    # 2. resumed from the iteration-2 checkpoint: no candidate is lost
    cfg = _cfg(work)
    cfg.resume = True
    runner = _runner(cfg)
    runner.train()
    loop = runner.train_loop
    assert loop.iter == 6
    state = _pool(str(work))
    after = {
        json.dumps(c['subnet'], sort_keys=True)
        for c in state['candidates']
    }
    assert set(before) <= after
    assert state['iter'] == 5
    # after the schedule the pool is drawn from with p = 0.8
    assert loop.get_cur_prob(4) == pytest.approx(0.8)
    assert state['cur_prob'] == pytest.approx(0.8)


def test_probability_schedules():
    loop = GreedySamplerTrainLoop.__new__(GreedySamplerTrainLoop)
    loop.schedule_start_iter, loop.schedule_end_iter = 10, 20
    loop.init_prob, loop.max_prob = 0.2, 0.8
    loop.prob_schedule = 'linear'
    assert [round(loop.get_cur_prob(i), 6) for i in (0, 10, 15, 20, 99)] == \
        [0.2, 0.2, 0.5, 0.8, 0.8]
    loop.prob_schedule = 'consine'
    assert loop.get_cur_prob(15) == pytest.approx(0.5)
    assert loop.get_cur_prob(12) == pytest.approx(
        0.2 + 0.6 * (1 - 0.809017) / 2, abs=1e-6)


@pytest.mark.parametrize('kwargs, words', [
    (dict(prob_schedule='exp'), ['prob_schedule', 'exp']),
    (dict(top_k=5), ['top_k', 'num_samples']),
    (dict(init_prob=0.9), ['init_prob', 'max_prob']),
    (dict(schedule_end_iter=1), ['schedule_end_iter']),
])
def test_bad_arguments(tmp_path, kwargs, words):
    with pytest.raises(ValueError) as info:
        _runner(_cfg(tmp_path, **kwargs)).train()
    for word in words:
        assert word in str(info.value)


def test_corrupt_state_file_is_reported(tmp_path):
    loop = GreedySamplerTrainLoop.__new__(GreedySamplerTrainLoop)

    class _Runner:
        work_dir = str(tmp_path)

    loop._runner = _Runner()
    with pytest.raises(ValueError, match='candidate pool'):
        loop.load_state_dict(dict(candidates='x'))
    with pytest.raises(ValueError, match='subnet.*score'):
        loop.load_state_dict(dict(candidates=[dict(subnet={})]))
