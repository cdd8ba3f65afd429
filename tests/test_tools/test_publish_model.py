# Copyright (c) OpenMMLab. All rights reserved.
"""publish_model.py strips the training state, saves in the legacy format
under a SHA-256 suffixed name and copies the run's logs."""
import hashlib
import importlib.util
import os
import os.path as osp
import zipfile

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    path = osp.join(REPO, 'tools/model_converters/publish_model.py')
    spec = importlib.util.spec_from_file_location('publish_model', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def work_dir(tmp_path):
    work = tmp_path / 'resnet18-w16_1xb32_digits'
    for stamp, text in (('20240101_000000', 'old'), ('20240102_101010',
                                                     'new')):
        run = work / stamp
        (run / 'vis_data').mkdir(parents=True)
        (run / f'{stamp}.log').write_text(f'{text} log\n')
        (run / 'vis_data' / f'{stamp}.json').write_text('{"loss": 1.0}\n')
    ckpt = dict(
        meta=dict(epoch=3, seed=0),
        state_dict={'w': torch.arange(4.)},
        optimizer={
            'state': {},
            'param_groups': [{
                'lr': 0.1
            }]
        },
        message_hub={'log_scalars': {}},
        param_schedulers=[{
            'last_step': 3
        }])
    torch.save(ckpt, str(work / 'epoch_3.pth'))
    return work


def test_publish(work_dir, tmp_path):
    tool = load_tool()
    out_dir = str(tmp_path / 'published')
    written = tool.main([str(work_dir / 'epoch_3.pth'), '--out-dir', out_dir])
    path = written['checkpoint']
    name = osp.basename(path)
    assert name.startswith('resnet18-w16_1xb32_digits_20240102_101010-')
    data = open(path, 'rb').read()
    assert name[-12:-4] == hashlib.sha256(data).hexdigest()[:8]
    assert not zipfile.is_zipfile(path)  # legacy serialization
    loaded = torch.load(path, weights_only=True)
    assert set(loaded) == {'meta', 'state_dict'}
    assert torch.equal(loaded['state_dict']['w'], torch.arange(4.))
    assert open(written['log']).read() == 'new log\n'
    assert written['json'].endswith('_20240102_101010.json')
    assert sorted(os.listdir(out_dir)) == sorted(
        osp.basename(p) for p in written.values())  # no temporaries left


def test_publish_names_and_errors(work_dir):
    tool = load_tool()
    written = tool.main([
        str(work_dir / 'epoch_3.pth'), '--model-name', 'kd_r18', '--timestamp',
        '20240101_000000'
    ])
    assert osp.basename(
        written['checkpoint']).startswith('kd_r18_20240101_000000-')
    assert open(written['log']).read() == 'old log\n'
    with pytest.raises(tool.ToolError, match='does not exist'):
        tool.publish(str(work_dir / 'missing.pth'))
    with pytest.raises(tool.ToolError, match='YYYYMMDD_HHMMSS'):
        tool.publish(str(work_dir / 'epoch_3.pth'), timestamp='yesterday')
