# Copyright (c) OpenMMLab. All rights reserved.
"""A non-editable wheel carries configs/tools as ``mmrazor/.mim`` so that
``_base_ = ['mmrazor::...']`` resolves from an installed package."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

pytestmark = pytest.mark.slow

SKIP = {
    '.git', '.venv', 'work_dirs', 'build', 'dist', '.mim', '__pycache__',
    '.pytest_cache', 'tests', 'docs', 'benchmarks'
}


def _ignored(folder, names):
    # SKIP names only at the root: configs/distill/mmcls/dist is a config
    # folder, and every metafile of model-index.yml must reach the wheel
    # (mmengine reads them all to resolve ``mmrazor::`` paths)
    at_root = osp.samefile(folder, REPO)
    return [
        n for n in names if (at_root and n in SKIP) or n == '__pycache__'
        or n.endswith('.egg-info')
    ]


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    src = tmp_path_factory.mktemp('src') / 'mmrazor'
    # build from a copy: an in-tree wheel build replaces the develop-mode
    # symlinks in mmrazor/.mim with copies
    shutil.copytree(REPO, src, ignore=_ignored)
    out = tmp_path_factory.mktemp('wheel')
    proc = subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(out),
        str(src)
    ],
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheels = list(out.glob('mmrazor-*.whl'))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_mim_files(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert 'mmrazor/.mim/model-index.yml' in names
    assert 'mmrazor/.mim/configs/_base_/datasets/mmcls/digits_bs32.py' \
        in names
    assert 'mmrazor/.mim/tools/train.py' in names
    assert not any(n.startswith('tests/') for n in names)
    # mmengine loads every metafile of model-index.yml to resolve
    # ``mmrazor::`` paths: a missing one breaks all of them
    import yaml
    with open(osp.join(REPO, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    assert imports
    for meta in imports:
        assert f'mmrazor/.mim/{meta}' in names, meta


def test_mmrazor_prefix_from_installed_wheel(wheel, tmp_path):
    site = tmp_path / 'site'
    proc = subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
        '--no-compile', '--target',
        str(site),
        str(wheel)
    ],
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cfg = tmp_path / 'user_cfg.py'
    cfg.write_text("_base_ = ['mmrazor::_base_/datasets/mmcls/"
                   "digits_bs32.py']\n")
    code = ('import mmrazor, sys\n'
            'from mmengine.config import Config\n'
            f'cfg = Config.fromfile({str(cfg)!r})\n'
            'print(mmrazor.__file__)\n'
            'print(cfg.train_dataloader.dataset.type)\n')
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path),
                          env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.split()
    assert lines[0].startswith(str(site)), lines  # the wheel, not the repo
    assert lines[1] == 'mmrazor.DigitsDataset'
