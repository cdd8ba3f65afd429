# Copyright (c) OpenMMLab. All rights reserved.
"""User errors in the tools: one clear message, no traceback (unless
--debug)."""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VANILLA = 'configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py'


def run_tool(*args):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    return subprocess.run([sys.executable, *args],
                          capture_output=True,
                          text=True,
                          cwd=REPO,
                          env=env,
                          timeout=300)


def assert_user_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr[-2000:])


def test_missing_config():
    proc = run_tool('tools/train.py', 'configs/no/such_config.py')
    assert_user_error(
        proc, "config file 'configs/no/such_config.py' does "
        'not exist')


def test_config_that_does_not_parse(tmp_path):
    bad = tmp_path / 'broken.py'
    bad.write_text('model = dict(type="X",\n')
    proc = run_tool('tools/test.py', str(bad), 'none')
    assert_user_error(proc, str(bad), 'cannot parse config')


def test_config_with_missing_base(tmp_path):
    bad = tmp_path / 'base_missing.py'
    bad.write_text("_base_ = ['./nowhere.py']\n")
    proc = run_tool(
        'tools/print_config.py' if False else 'tools/misc/print_config.py',
        str(bad))
    assert_user_error(proc, 'nowhere.py')


def test_unknown_type_lists_close_matches(tmp_path):
    cfg = tmp_path / 'typo.py'
    cfg.write_text(f"_base_ = ['{osp.join(REPO, VANILLA)}']\n"
                   "model = dict(type='mmrazor.BaseAlgorithem', "
                   "architecture=dict(type='mmcls.ImageClassifier'))\n"
                   "train_cfg = dict(max_epochs=1)\n")
    proc = run_tool('tools/train.py', str(cfg), '--work-dir',
                    str(tmp_path / 'wd'))
    assert_user_error(proc, "'mmrazor.BaseAlgorithem'", "'model' registry",
                      'mmrazor.BaseAlgorithm')


def test_missing_checkpoint():
    proc = run_tool('tools/test.py', VANILLA, 'work_dirs/nothing.pth')
    assert_user_error(proc, 'work_dirs/nothing.pth')


@pytest.mark.slow
def test_untrusted_foreign_checkpoint(tmp_path):
    import numpy as np
    import torch
    from mmengine.logging import HistoryBuffer
    ckpt = tmp_path / 'foreign.pth'
    torch.save(
        dict(
            state_dict={},
            message_hub={'x': HistoryBuffer([np.float64(1)], [1])}), ckpt)
    proc = run_tool('tools/test.py', VANILLA, str(ckpt), '--work-dir',
                    str(tmp_path / 'wd'))
    assert_user_error(proc, str(ckpt), 'weights_only=True',
                      '--trust-checkpoint')


def test_debug_shows_traceback():
    proc = run_tool('tools/train.py', 'configs/no/such_config.py', '--debug')
    assert proc.returncode != 0
    assert 'Traceback' in proc.stderr
