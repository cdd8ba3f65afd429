# Copyright (c) OpenMMLab. All rights reserved.
# mmpretrain first: works around the foundation's MODEL_WRAPPERS iteration
# issue in the first `init_weights` of a process.
import mmpretrain.registry  # noqa: F401,I001
"""Kill-and-resume of the evolution search: JSON state, no pickle."""
import json
import os
import os.path as osp
import pickle

import pytest
import yaml
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.engine.runner import EvolutionSearchLoop, UnsafeCheckpointError
from mmrazor.engine.runner.utils.search_state import (load_search_state,
                                                      save_search_state)
from mmrazor.structures.subnet import Candidates

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_CFG = osp.join(
    REPO, 'configs/nas/mmcls/spos/digits/'
    'spos_shufflenet-tiny_search_1xb32_digits.py')
OWNER = 'EvolutionSearchLoop'


class Killed(BaseException):
    """Stands for the process being killed (not an ``Exception``)."""


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
            num_mutation=1,
            num_crossover=1,
            calibrate_sample_num=16,
            constraints_range=dict(flops=(0., 1e6))))
    cfg.train_cfg.update(loop_kwargs)
    cfg.train_cfg.dataloader.dataset.indices = 32
    cfg.train_dataloader.dataset.indices = 32
    cfg.val_dataloader.dataset.indices = 32
    cfg.randomness = dict(seed=0)
    cfg.default_hooks = dict(logger=dict(type='LoggerHook', interval=100))
    cfg.log_level = 'WARNING'
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    return cfg


def _search(cfg, monkeypatch, kill_at=None):
    """Run a search; count finished evaluations; raise Killed at the
    ``kill_at``-th evaluation (1-based)."""
    from mmengine.runner import Runner
    finished = []
    original = EvolutionSearchLoop._val_candidate

    def counting(self):
        if kill_at is not None and len(finished) + 1 == kill_at:
            raise Killed()
        metrics = original(self)
        finished.append(str(self.model.mutator.current_choices))
        return metrics

    monkeypatch.setattr(EvolutionSearchLoop, '_val_candidate', counting)
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    except Killed:
        return None, finished
    finally:
        monkeypatch.setattr(EvolutionSearchLoop, '_val_candidate', original)
    return runner, finished


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
    from mmengine.registry import DefaultScope
    scopes = DefaultScope._instance_dict.copy()
    monkeypatch = pytest.MonkeyPatch()
    work_dir = tmp_path_factory.mktemp('full')
    try:
        runner, evaluated = _search(_cfg(work_dir), monkeypatch)
    finally:
        monkeypatch.undo()
        # module scope: the per-test scope restore of conftest.py does
        # not cover this runner's default scope
        DefaultScope._instance_dict.clear()
        DefaultScope._instance_dict.update(scopes)
    loop = runner.train_loop
    return dict(
        evaluated=evaluated,
        history=dict(loop.history),
        top_k=list(loop.top_k_candidates.data),
        best=open(osp.join(str(work_dir), 'best_fix_subnet.yaml')).read())


@pytest.mark.slow
@pytest.mark.parametrize('kill_at', [3, 6])
def test_kill_and_resume_matches_uninterrupted(tmp_path, monkeypatch,
                                               uninterrupted, kill_at):
    full = uninterrupted['evaluated']
    assert len(full) >= 6, full
    killed_dir = tmp_path / 'killed'
    _, before = _search(_cfg(killed_dir), monkeypatch, kill_at=kill_at)
    assert before == full[:kill_at - 1]
    state_file = osp.join(str(killed_dir), 'search_state.json')
    state = json.load(open(state_file))
    assert state['mmrazor_search_state'] == OWNER
    assert len(state['history']) == kill_at - 1  # every finished one
    # no temporary file is left next to the state
    assert not [f for f in os.listdir(str(killed_dir)) if f.endswith('.tmp')]

    runner, after = _search(
        _cfg(tmp_path / 'resumed', resume_from=state_file), monkeypatch)
    # no candidate lost, none evaluated twice, the same result
    assert before + after == full
    assert len(set(before) & set(after)) == 0
    loop = runner.train_loop
    assert loop.history == uninterrupted['history']
    assert list(loop.top_k_candidates.data) == uninterrupted['top_k']
    best = open(osp.join(str(tmp_path / 'resumed'),
                         'best_fix_subnet.yaml')).read()
    assert best == uninterrupted['best']
    assert set(yaml.safe_load(best)) == {
        'backbone.layers.0.0', 'backbone.layers.1.0'
    }


def test_state_is_json_and_pickle_needs_trust(tmp_path, monkeypatch):
    monkeypatch.delenv('MMRAZOR_TRUST_CHECKPOINT', raising=False)
    path = str(tmp_path / 'state.json')
    save_search_state(path, OWNER, dict(epoch=1, history={}))
    assert load_search_state(path, OWNER)['epoch'] == 1
    with pytest.raises(ValueError, match="not a search state of Other"):
        load_search_state(path, 'Other')
    bad = tmp_path / 'bad.json'
    bad.write_text('{"epoch": ')
    with pytest.raises(ValueError, match='bad.json is not a valid JSON'):
        load_search_state(str(bad), OWNER)
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        load_search_state(str(tmp_path / 'nothing.json'), OWNER)

    legacy = str(tmp_path / 'search_epoch_1.pkl')
    pool = Candidates([{'op': 'a'}, {'op': 'b'}])
    with open(legacy, 'wb') as f:
        pickle.dump(
            dict(_epoch=1, candidates=pool, top_k_candidates=pool, history={}),
            f)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_search_state(legacy, OWNER)
    assert legacy in str(info.value)
    assert 'MMRAZOR_TRUST_CHECKPOINT=1' in str(info.value)
    monkeypatch.setenv('MMRAZOR_TRUST_CHECKPOINT', '1')
    with pytest.warns(UserWarning, match='pickled search state'):
        state = load_search_state(legacy, OWNER)
    converted = EvolutionSearchLoop._from_legacy(state)
    assert converted['epoch'] == 1
    assert Candidates(converted['candidates']).subnets == [{
        'op': 'a'
    }, {
        'op': 'b'
    }]


def test_candidate_keys_are_never_executed():
    evil = Candidates([{"{'op': __import__('os').getcwd()}": {'score': 1.0}}])
    with pytest.raises(ValueError, match='not a dict literal'):
        evil.subnets


def test_init_candidates_from_yaml(tmp_path, monkeypatch):
    monkeypatch.delenv('MMRAZOR_TRUST_CHECKPOINT', raising=False)
    path = tmp_path / 'init.yaml'
    path.write_text("- {op: a}\n- {op: b}\n")
    pool = EvolutionSearchLoop._load_init_candidates(str(path))
    assert pool.subnets == [{'op': 'a'}, {'op': 'b'}]
    pkl = tmp_path / 'init.pkl'
    pkl.write_bytes(pickle.dumps(pool))
    with pytest.raises(UnsafeCheckpointError, match='init.pkl'):
        EvolutionSearchLoop._load_init_candidates(str(pkl))
