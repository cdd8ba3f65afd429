# Copyright (c) OpenMMLab. All rights reserved.
"""EvolutionSearchLoop with a MetricPredictor, on a tiny digits supernet."""
import os.path as osp
import json
import random

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.evaluator import Evaluator

import mmrazor  # noqa: F401
from mmrazor.registry import MODELS, TASK_UTILS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_CFG = osp.join(
    REPO, 'configs/nas/mmcls/spos/digits/'
    'spos_shufflenet-tiny_search_1xb32_digits.py')
PREDICTOR_CFG = osp.join(
    REPO, 'configs/nas/mmcls/spos/'
    'spos_shufflenet_search_predictor_8xb128_in1k.py')


def _cfg(work_dir, **loop_kwargs):
    cfg = Config.fromfile(SEARCH_CFG)
    cfg.work_dir = str(work_dir)
    mutable = cfg.model.architecture.backbone.arch_setting[0][2]
    cfg.model.architecture.backbone.arch_setting = [[8, 1, mutable],
                                                    [16, 1, mutable]]
    cfg.model.architecture.backbone.out_indices = (2, )
    cfg.train_cfg.update(
        dict(
            max_epochs=2,
            num_candidates=4,
            top_k=2,
            num_mutation=2,
            num_crossover=2,
            calibrate_sample_num=32,
            constraints_range=dict(flops=(0., 1e6)),
            predictor_cfg=dict(
                type='mmrazor.MetricPredictor',
                train_samples=3,
                handler_cfg=dict(type='mmrazor.CartsHandler', num_trees=20),
                encoding_type='onehot')))
    cfg.train_cfg.update(loop_kwargs)
    cfg.train_cfg.dataloader.dataset.indices = 32
    cfg.train_dataloader.dataset.indices = 32
    cfg.val_dataloader.dataset.indices = 32
    cfg.default_hooks = dict(logger=dict(type='LoggerHook', interval=100))
    cfg.log_level = 'WARNING'
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    return cfg


@pytest.mark.slow
def test_search_with_predictor(tmp_path, monkeypatch):
    from mmengine.runner import Runner
    real_evals = []
    evaluate = Evaluator.evaluate

    def counting_evaluate(self, size):
        metrics = evaluate(self, size)
        real_evals.append(metrics)
        return metrics

    monkeypatch.setattr(Evaluator, 'evaluate', counting_evaluate)
    random.seed(0)
    torch.manual_seed(0)
    runner = Runner.from_cfg(_cfg(tmp_path))
    runner.train()
    loop = runner.train_loop
    predictor = loop.predictor

    # the predictor was fitted on exactly `train_samples` real evaluations
    # and saved; every candidate afterwards was scored by the predictor
    assert predictor.initialize
    assert len(real_evals) == 3
    assert osp.isfile(osp.join(str(tmp_path), 'predictor_CartsHandler.joblib'))
    # 2 epochs x 4 candidates scored (repeated subnets come from the cache)
    scored = len(loop.history)
    assert scored > len(real_evals)
    for key, info in loop.history.items():
        predicted = predictor.predict(eval(key))['accuracy/top1']
        assert info['score'] == pytest.approx(round(predicted, 4), abs=1e-4)

    # search outputs are written as without a predictor
    state = json.load(open(osp.join(str(tmp_path), 'search_epoch_2.json')))
    assert state['epoch'] == 2
    best = yaml.safe_load(
        open(osp.join(str(tmp_path), 'best_fix_subnet.yaml')))
    assert set(best) == {'backbone.layers.0.0', 'backbone.layers.1.0'}
    best_subnet = loop.top_k_candidates.subnets[0]
    assert [v['chosen'] for v in best.values()] == list(best_subnet.values())

    # resuming keeps the fitted predictor: no new real evaluation
    n_evals = len(real_evals)
    resumed = Runner.from_cfg(
        _cfg(
            tmp_path / 'resumed',
            resume_from=osp.join(str(tmp_path), 'search_epoch_1.json')))
    resumed.train()
    assert len(real_evals) == n_evals
    assert resumed.train_loop._epoch == 2
    for key, info in resumed.train_loop.history.items():
        predicted = predictor.predict(eval(key))['accuracy/top1']
        assert info['score'] == pytest.approx(round(predicted, 4), abs=1e-4)


@pytest.mark.slow
def test_predictor_config_builds_and_fits():
    cfg = Config.fromfile(PREDICTOR_CFG)
    assert cfg.train_cfg.type == 'mmrazor.EvolutionSearchLoop'
    model = MODELS.build(cfg.model)
    predictor_cfg = dict(cfg.train_cfg.predictor_cfg)
    predictor_cfg['search_groups'] = model.mutator.search_groups
    predictor = TASK_UTILS.build(predictor_cfg)
    assert predictor.train_samples == 20
    random.seed(0)
    subnets = [model.mutator.sample_choices() for _ in range(20)]
    # a synthetic score: number of 'shuffle_7x7' blocks
    scores = [
        float(sum(v == 'shuffle_7x7' for v in s.values())) for s in subnets
    ]
    predictor.fit(subnets, scores)
    preds = [predictor.predict(s)['accuracy/top1'] for s in subnets]
    assert max(abs(p - s) for p, s in zip(preds, scores)) < 0.5
    model.mutator.set_choices(subnets[0])
    assert predictor.predict(model)['accuracy/top1'] == \
        pytest.approx(preds[0])
