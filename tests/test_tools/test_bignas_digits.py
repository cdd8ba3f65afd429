# Copyright (c) OpenMMLab. All rights reserved.
"""BigNAS on digits through tools/train.py (sandwich rule, SubnetValLoop
reports the max / min / random subnets) and tools/test.py (the min subnet
exported as a static model from the supernet checkpoint)."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = 'configs/nas/mmcls/bignas/digits/'

pytestmark = pytest.mark.slow


def run(args, timeout=600):
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('PYTHONWARNINGS', 'ignore')
    proc = subprocess.run(
        args, capture_output=True, text=True, cwd=REPO, env=env,
        timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc.stdout + proc.stderr


def metric(log, key):
    found = re.findall(re.escape(key) + r': ([0-9.]+)', log)
    assert found, f'{key} not in the log'
    return float(found[-1])


def test_train_and_export_min_subnet(tmp_path):
    log = run([
        sys.executable, 'tools/train.py',
        DIGITS + 'attentive_mobilenet-tiny_supernet_1xb32_digits.py',
        '--work-dir',
        str(tmp_path), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'model.num_random_samples=1', 'val_cfg.calibrate_sample_num=64',
        'train_dataloader.dataset.indices=320',
        'val_dataloader.dataset.indices=128'
    ])
    assert 'min_subnet.loss_kl' in log and 'random0_subnet.loss_kl' in log
    for kind in ('max', 'min', 'random0'):
        assert 0 <= metric(log, f'{kind}_subnet.accuracy/top1') <= 100
    max_flops = metric(log, 'max_subnet.flops')
    ckpt = tmp_path / 'epoch_1.pth'
    assert ckpt.is_file()

    log = run([
        sys.executable, 'tools/test.py',
        DIGITS + 'attentive_mobilenet-tiny_subnet_1xb32_digits.py', 'none',
        '--work-dir',
        str(tmp_path / 'min'), '--cfg-options',
        f'model.init_cfg.checkpoint={ckpt}',
        'test_cfg.calibrate_sample_num=64',
        'test_dataloader.dataset.indices=128'
    ])
    assert 0 <= metric(log, 'fix_subnet.accuracy/top1') <= 100
    assert metric(log, 'fix_subnet.flops') * 3 < max_flops
