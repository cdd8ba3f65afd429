# Copyright (c) OpenMMLab. All rights reserved.
"""The digits DARTS chain through tools/train.py at a tiny scale: the
search writes a DARTS subnet YAML and moves the arch params, the subnet
config retrains that YAML."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine import fileio

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = 'configs/nas/mmcls/darts/digits'

pytestmark = pytest.mark.slow


def run(args):
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('PYTHONWARNINGS', 'ignore')
    env.setdefault('OMP_NUM_THREADS', '1')
    proc = subprocess.run(
        args, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def test_digits_search_and_retrain_through_train_py(tmp_path):
    search = tmp_path / 'search'
    run([
        sys.executable, 'tools/train.py',
        f'{DIGITS}/darts_supernet_1xb32_digits.py', '--work-dir',
        str(search), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'train_dataloader.dataset.indices=64',
        'train_cfg.mutator_dataloader.dataset.indices=32',
        'val_dataloader.dataset.indices=32'
    ])
    yaml = search / 'subnet_epoch_1.yaml'
    genotype = fileio.load(str(yaml))
    routes = [k for k in genotype if k.count('_') == 1]
    assert sorted(routes) == [
        'normal_n2', 'normal_n3', 'reduce_n2', 'reduce_n3'
    ]
    for route in routes:
        assert len(genotype[route]['chosen']) == 2
        for edge in genotype[route]['chosen']:
            assert len(genotype[edge]['chosen']) == 1
            assert genotype[edge]['chosen'][0] != 'zero'
    state = torch.load(
        str(search / 'epoch_1.pth'), weights_only=True)['state_dict']
    alphas = [v for k, v in state.items() if 'arch_params' in k]
    assert len(alphas) == 14
    assert max(float(a.abs().max()) for a in alphas) > 0.01  # init ~1e-3

    retrain = tmp_path / 'retrain'
    proc = run([
        sys.executable, 'tools/train.py',
        f'{DIGITS}/darts_subnet_1xb32_digits.py', '--work-dir',
        str(retrain), '--cfg-options', f'model.fix_subnet={yaml}',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'train_dataloader.dataset.indices=128'
    ])
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    state = torch.load(
        str(retrain / 'epoch_1.pth'), weights_only=True)['state_dict']
    edge = genotype['normal_n2_p0']['chosen'][0]
    assert any(f'normal_n2_p0._candidates.{edge}.' in k for k in state)
    assert not any('arch_params' in k for k in state)
