# Copyright (c) OpenMMLab. All rights reserved.
# mmpretrain first: works around the foundation's MODEL_WRAPPERS iteration
# issue in the first `init_weights` of a process.
import mmpretrain.registry  # noqa: F401,I001
"""AutoSlimGreedySearchLoop through a real Runner on a tiny digits
supernet: one FLOPS_{x}M.yaml per target, the slimmable units json, a JSON
search state, and a SIGKILLed search resumed without repeating any
evaluation."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import yaml
from mmengine.config import Config
from mmengine.runner import Runner

import mmrazor  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEARCH_CFG = osp.join(
    REPO, 'configs/nas/mmcls/autoslim/digits/'
    'autoslim_resnet18-w16_search_1xb32_digits.py')
TARGETS = (0.9, 0.6)  # MFLOPs; the tiny supernet spans 0.31 .. 1.18

TINY = f"""_base_ = [{SEARCH_CFG!r}]
model = dict(
    architecture=dict(
        backbone=dict(stem_channels=8, base_channels=8, num_stages=2,
                      out_indices=(1, ), strides=(1, 2), dilations=(1, 1)),
        head=dict(in_channels=16)),
    mutator=dict(channel_unit_cfg=dict(default_args=dict(
        candidate_choices=[0.5, 0.75, 1.0]))))
test_cfg = dict(target_flops={TARGETS!r}, dataloader=dict(batch_size=360))
default_hooks = dict(logger=dict(interval=1000))
log_level = 'WARNING'
"""


def _write_cfg(tmp_path):
    path = tmp_path / 'tiny_search.py'
    path.write_text(TINY)
    return str(path)


def _runner(cfg_path, work_dir, **loop_kwargs):
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(work_dir)
    cfg.test_cfg.update(loop_kwargs)
    return Runner.from_cfg(cfg)


def _count_evaluations(runner):
    counter = []
    evaluate = runner.test_loop.evaluator.evaluate

    def counting(size):
        counter.append(size)
        return evaluate(size)

    runner.test_loop.evaluator.evaluate = counting
    return counter


@pytest.fixture(scope='module')
def full_search(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('full')
    cfg_path = _write_cfg(tmp_path)
    runner = _runner(cfg_path, tmp_path / 'work')
    counter = _count_evaluations(runner)
    metrics = runner.test()
    return dict(
        cfg=cfg_path,
        work=tmp_path / 'work',
        evaluations=len(counter),
        metrics=metrics)


@pytest.mark.slow
def test_greedy_search_outputs(full_search):
    work = full_search['work']
    state = json.load(open(work / 'latest.json'))
    assert state['num_evaluations'] == full_search['evaluations'] > 0
    assert len(state['searched_subnet']) == 2
    flops = state['searched_subnet_flops']
    assert flops[0] <= TARGETS[0] and flops[1] <= TARGETS[1]
    assert flops[1] < flops[0]
    assert state['step_scores'] == {}
    for target in TARGETS:
        subnet = yaml.safe_load(open(work / f'FLOPS_{target:.2f}M.yaml'))
        assert len(subnet) == len(state['current_subnet'])
        assert all(isinstance(v['chosen'], int) for v in subnet.values())
    narrow = yaml.safe_load(open(work / f'FLOPS_{TARGETS[1]:.2f}M.yaml'))
    wide = yaml.safe_load(open(work / f'FLOPS_{TARGETS[0]:.2f}M.yaml'))
    assert all(narrow[k]['chosen'] <= wide[k]['chosen'] for k in narrow)
    units = json.load(open(work / 'slimmable_config.json'))
    for name, unit in units.items():
        assert unit['init_args']['candidate_choices'] == [
            narrow[name]['chosen'], wide[name]['chosen']
        ]
    assert set(full_search['metrics']) == {'FLOPS_0.90M', 'FLOPS_0.60M'}


@pytest.mark.slow
def test_killed_search_resumes_without_repeating(full_search, tmp_path):
    work = tmp_path / 'work'
    state_path = work / 'latest.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.Popen([
        sys.executable,
        osp.join(REPO, 'tools/test.py'), full_search['cfg'], 'none',
        '--work-dir',
        str(work)
    ],
                            cwd=REPO,
                            env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    done_before_kill = None
    deadline = time.time() + 240
    try:
        while time.time() < deadline and proc.poll() is None:
            if state_path.exists():
                try:
                    count = json.load(open(state_path))['num_evaluations']
                except ValueError:
                    pytest.fail('latest.json was read half-written')
                if count >= 3:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != -signal.SIGKILL:
        pytest.skip('the search finished before it could be killed')
    # the state on disk is complete JSON: what was saved before the kill
    state = json.load(open(state_path))
    done_before_kill = state['num_evaluations']
    assert done_before_kill < full_search['evaluations']
    runner = _runner(full_search['cfg'], work, resume_from=str(state_path))
    counter = _count_evaluations(runner)
    runner.test()
    # no evaluation is repeated: together exactly the uninterrupted count
    assert done_before_kill + len(counter) == full_search['evaluations']
    final = json.load(open(state_path))
    reference = json.load(open(full_search['work'] / 'latest.json'))
    assert final['searched_subnet'] == reference['searched_subnet']
    for target in TARGETS:
        name = f'FLOPS_{target:.2f}M.yaml'
        assert (work / name).read_text() == \
            (full_search['work'] / name).read_text()


def test_resume_rejects_pickles_and_foreign_states(tmp_path):
    cfg_path = _write_cfg(tmp_path)
    pkl = tmp_path / 'latest.pkl'
    pkl.write_bytes(b'\x80\x04N.')
    runner = _runner(cfg_path, tmp_path / 'w1', resume_from=str(pkl))
    with pytest.raises(ValueError, match='not a JSON search state'):
        runner.test()
    foreign = tmp_path / 'latest.json'
    foreign.write_text(
        json.dumps(
            dict(
                current_subnet={'backbone.nope_(0, 8)_8': 0},
                current_flops=1.,
                step_scores={},
                searched_subnet=[],
                searched_subnet_flops=[])))
    runner = _runner(cfg_path, tmp_path / 'w2', resume_from=str(foreign))
    with pytest.raises(KeyError, match='written for other units'):
        runner.test()
    runner = _runner(cfg_path, tmp_path / 'w3', target_flops=(0.01, ))
    with pytest.raises(ValueError, match=r'0.01 MFLOPs can not be met'):
        runner.test()
