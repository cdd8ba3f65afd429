# Copyright (c) OpenMMLab. All rights reserved.
"""tools/ptq.py and convert_quant_ckpt.py (tools/test.py on a PTQ checkpoint
sets ``only_val``; that path is tested in test_quant_loops.py)."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PTQ_CFG = osp.join(
    REPO, 'configs/quantization/ptq/base/'
    'ptq_openvino_resnet18-w16_digits_calib8xb32.py')


def run(args, cwd=REPO):
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['PYTHONWARNINGS'] = 'ignore'
    return subprocess.run([sys.executable, *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True)


@pytest.mark.slow
def test_ptq_then_test_then_convert(tmp_path):
    work = str(tmp_path / 'ptq')
    proc = run([
        'tools/ptq.py', PTQ_CFG, '--work-dir', work, '--cfg-options',
        'model.float_checkpoint=None', 'test_cfg.calibrate_steps=2',
        'test_dataloader.dataset.indices=64'
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'PTQ: calibrating on 2 batches' in proc.stdout + proc.stderr
    ckpts = glob.glob(osp.join(work, '*', 'model_ptq.pth'))
    assert len(ckpts) == 1
    ckpt = torch.load(ckpts[0], map_location='cpu', weights_only=True)
    keys = ckpt['state_dict'].keys()
    assert any(k.startswith('architecture.') for k in keys)
    assert any(k.startswith('qmodels.predict.') for k in keys)

    # convert_quant_ckpt.py keeps the predict graph
    proc3 = run(['tools/model_converters/convert_quant_ckpt.py', ckpts[0]])
    assert proc3.returncode == 0, proc3.stderr[-3000:]
    deploy = ckpts[0].replace('.pth', '_deploy.pth')
    state = torch.load(
        deploy, map_location='cpu', weights_only=True)['state_dict']
    assert not any(k.startswith('qmodels.') for k in state)
    assert 'backbone.conv1.weight' in state
    assert any(
        k.endswith('weight_fake_quant.activation_post_process.'
                   'min_vals') for k in state)


def test_ptq_rejects_non_ptq_config(tmp_path):
    cfg = osp.join(
        REPO, 'configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py')
    proc = run(['tools/ptq.py', cfg, '--work-dir', str(tmp_path)])
    assert proc.returncode == 2
    assert 'PTQLoop' in proc.stderr


def test_convert_quant_ckpt_errors(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
    try:
        import convert_quant_ckpt as tool
    finally:
        sys.path.pop(0)
    from mmrazor.utils.cli import ToolError
    state = {
        'qmodels.predict.conv.weight':
        torch.ones(1),
        'qmodels.predict.conv.weight_fake_quant.activation_post_process.'
        'min_val':
        torch.zeros(1),
        'qmodels.loss.conv.weight':
        torch.ones(1),
        'architecture.conv.weight':
        torch.ones(1),
    }
    out = tool.convert(state)
    assert list(out) == [
        'conv.weight',
        'conv.weight_fake_quant.activation_post_process.min_vals'
    ]
    with pytest.raises(ToolError, match='qmodels.predict'):
        tool.convert({'architecture.x': torch.ones(1)})
    path = str(tmp_path / 'q.pth')
    torch.save({'state_dict': state, 'meta': {'a': 1}}, path)
    out_path = tool.main([path, '--out-path', str(tmp_path / 'o.pth')])
    saved = torch.load(out_path, weights_only=True)
    assert saved['meta'] == {'a': 1} and len(saved['state_dict']) == 2
    with pytest.raises(FileNotFoundError):
        tool.main([str(tmp_path / 'missing.pth')])
