# Copyright (c) OpenMMLab. All rights reserved.
"""Every NAS config builds its model on CPU; the SPOS subnet reproduces the
published 3.35 M params / 0.33 GFLOPs."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmrazor  # noqa: F401  (installs the mmcls:: config prefix)
from mmrazor.models import SPOS
from mmrazor.models.task_modules import ResourceEstimator
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import export_fix_subnet, dump_fix_subnet

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs/nas/mmcls/spos/*.py')) +
    glob.glob(osp.join(REPO, 'configs/nas/mmdet/detnas/*.py')) +
    glob.glob(osp.join(REPO, 'configs/nas/mmcls/spos/digits/*.py')))


def _build(cfg):
    import mmpretrain.registry  # noqa: F401
    model = MODELS.build(cfg.model)
    return model


@pytest.mark.slow
@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds(path, tmp_path):
    cfg = Config.fromfile(path)
    if 'mobilenet_subnet' in path:
        supernet = SPOS(cfg.model.cfg)
        supernet.mutator.set_choices(supernet.mutator.sample_choices())
        fix, _ = export_fix_subnet(supernet.architecture)
        dump_fix_subnet(fix, tmp_path / 'mb.yaml')
        cfg.model.fix_subnet = str(tmp_path / 'mb.yaml')
    model = _build(cfg)
    if cfg.model.get('type') == 'mmrazor.SPOS':
        assert isinstance(model, SPOS)
        assert len(model.mutator.search_groups) > 0
        assert model.is_supernet
    if 'search' in osp.basename(path):
        assert cfg.train_cfg.type == 'mmrazor.EvolutionSearchLoop'
    if 'subnet' in osp.basename(path) or 'nas_backbone' in path:
        assert not any(
            getattr(m, 'is_fixed', True) is False for m in model.modules())


def test_spos_subnet_fidelity():
    """SPOS_SUBNET.yaml through the subnet config: 3.35 M / 0.33 G."""
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/nas/mmcls/spos/'
            'spos_shufflenet_subnet_8xb128_in1k.py'))
    model = _build(cfg)
    result = ResourceEstimator(
        input_shape=(1, 3, 224, 224), units=dict(flops='G',
                                                 params='M')).estimate(model)
    assert abs(result['params'] - 3.35) / 3.35 < 0.01
    assert abs(result['flops'] - 0.33) / 0.33 < 0.01
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64)).shape == (1, 1000)
