# Copyright (c) OpenMMLab. All rights reserved.
# mmpretrain first: works around the foundation's MODEL_WRAPPERS iteration
# issue in the first `init_weights` of a process (see the report).
import mmpretrain.registry  # noqa: F401,I001
"""EvolutionSearchLoop on a tiny digits supernet, through a real Runner."""
import copy
import os
import os.path as osp
import json
import random

import pytest
import torch
import yaml
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.engine.runner import crossover
from mmrazor.engine.runner.utils.plot import pareto_front
from mmrazor.structures.subnet import Candidates

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_CFG = osp.join(
    REPO, 'configs/nas/mmcls/spos/digits/'
    'spos_shufflenet-tiny_search_1xb32_digits.py')


def _cfg(work_dir, **loop_kwargs):
    cfg = Config.fromfile(SEARCH_CFG)
    cfg.work_dir = str(work_dir)
    cfg.model.architecture.backbone.arch_setting = [
        [8, 1, cfg.model.architecture.backbone.arch_setting[0][2]],
        [16, 1, cfg.model.architecture.backbone.arch_setting[0][2]],
    ]
    cfg.model.architecture.backbone.out_indices = (2, )
    cfg.train_cfg.update(
        dict(
            max_epochs=1,
            num_candidates=4,
            top_k=2,
            num_mutation=1,
            num_crossover=1,
            calibrate_sample_num=32,
            constraints_range=dict(flops=(0., 1e6))))
    cfg.train_cfg.update(loop_kwargs)
    cfg.train_cfg.dataloader.dataset.indices = 64
    cfg.train_dataloader.dataset.indices = 64
    cfg.val_dataloader.dataset.indices = 64
    cfg.default_hooks = dict(logger=dict(type='LoggerHook', interval=100))
    cfg.log_level = 'WARNING'
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    return cfg


def _run(cfg):
    from mmengine.runner import Runner
    random.seed(0)
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.slow
def test_search_writes_results_and_resumes(tmp_path):
    runner = _run(_cfg(tmp_path / 'a'))
    loop = runner.train_loop
    work_dir = str(tmp_path / 'a')
    state = json.load(open(osp.join(work_dir, 'search_epoch_1.json')))
    assert state['epoch'] == 1
    assert len(state['top_k_candidates']) == 2
    # the next generation (mutation + crossover) is saved, not lost
    assert 1 <= len(state['candidates']) <= 2
    assert len(state['history']) == 4
    best = yaml.safe_load(open(osp.join(work_dir, 'best_fix_subnet.yaml')))
    assert set(best) == {'backbone.layers.0.0', 'backbone.layers.1.0'}
    assert all(set(v) == {'chosen'} for v in best.values())
    assert osp.isfile(osp.join(work_dir, 'search_results.png'))
    ckpts = [
        f for f in os.listdir(work_dir)
        if f.startswith('subnet_') and f.endswith('.pth')
    ]
    assert len(ckpts) == 1
    sliced = torch.load(osp.join(work_dir, ckpts[0]), weights_only=False)
    keys = sliced['state_dict'].keys()
    chosen = best['backbone.layers.0.0']['chosen']
    assert any(f'layers.0.0._candidates.{chosen}.' in k for k in keys)
    assert not any(
        '_candidates.' in k and f'.{chosen}.' not in k and 'layers.0.0.' in k
        for k in keys)
    top_scores = loop.top_k_candidates.scores
    assert top_scores == sorted(top_scores, reverse=True)

    # bad arguments and unsatisfiable constraints are clear errors
    from mmrazor.engine.runner import EvolutionSearchLoop
    common = dict(
        runner=runner, dataloader=loop.dataloader, evaluator=loop.evaluator)
    with pytest.raises(ValueError, match='top_k'):
        EvolutionSearchLoop(**common, num_candidates=2, top_k=3)
    with pytest.raises(ValueError, match='num_mutation'):
        EvolutionSearchLoop(
            **common,
            num_candidates=2,
            top_k=1,
            num_mutation=2,
            num_crossover=1)
    tight = EvolutionSearchLoop(
        **common,
        num_candidates=1,
        top_k=1,
        num_mutation=0,
        num_crossover=0,
        constraints_range=dict(flops=(0., 1e-4)),
        estimator_cfg=dict(
            type='mmrazor.ResourceEstimator', input_shape=(1, 1, 16, 16)))
    with pytest.raises(RuntimeError, match='relax constraints_range'):
        tight.sample_candidates()

    # resume: the saved generation is evaluated first, nothing is lost
    resumed_cfg = _cfg(
        tmp_path / 'b',
        max_epochs=2,
        resume_from=osp.join(work_dir, 'search_epoch_1.json'))
    runner_b = _run(resumed_cfg)
    loop_b = runner_b.train_loop
    assert loop_b._epoch == 2
    for subnet in Candidates(state['candidates']).subnets:
        assert str(subnet) in loop_b.history
    for key in state['history']:
        assert key in loop_b.history
    assert osp.isfile(osp.join(str(tmp_path / 'b'), 'search_epoch_2.json'))


def test_crossover_and_pareto():
    random.seed(0)
    a = {'module_0': 'a', 'module_1': 'a'}
    b = {'module_0': 'b', 'module_1': 'b'}
    assert crossover(a, b, prob=0.) == a
    assert crossover(a, b, prob=1.) == b
    with pytest.raises(KeyError):
        crossover(a, {'x': 1})
    with pytest.raises(ValueError):
        crossover(a, b, prob=2)
    points = [(1, 0.5), (2, 0.4), (2, 0.7), (3, 0.7), (4, 0.9)]
    assert pareto_front(points) == [0, 2, 4]
    assert isinstance(copy.deepcopy(Candidates([a])), Candidates)
