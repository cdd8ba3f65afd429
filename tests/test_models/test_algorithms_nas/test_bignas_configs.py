# Copyright (c) OpenMMLab. All rights reserved.
"""The bignas and onceforall configs build on CPU (no download) and run one
train_step."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

import mmrazor  # noqa: F401
from mmrazor.models.algorithms.nas import BigNAS
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs/nas/mmcls/bignas/*.py')) +
    glob.glob(osp.join(REPO, 'configs/nas/mmcls/onceforall/*.py')))


def _data(n=2, size=32, classes=1000):
    from mmpretrain.structures import DataSample
    torch.manual_seed(0)
    inputs = [torch.randint(0, 255, (3, size, size)).float()
              for _ in range(n)]
    samples = [DataSample().set_gt_label(i % classes) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_six_configs():
    names = [osp.basename(p) for p in CONFIGS]
    assert len(names) == 6
    for algo in ('attentive_mobilenet', 'ofa_mobilenet'):
        for kind in ('supernet_32xb64', 'search_8xb128', 'subnet_8xb256'):
            assert f'{algo}_{kind}_in1k.py' in names


@pytest.mark.slow
@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_builds_and_trains_one_step(path):
    from mmengine.logging import MessageHub
    cfg = Config.fromfile(path)
    if 'search' in path:
        # the search config trains nothing: the supernet's model
        assert cfg.train_cfg.type == 'mmrazor.EvolutionSearchLoop'
        supernet = Config.fromfile(path.replace('search_8xb128',
                                                'supernet_32xb64'))
        assert cfg.model == supernet.model
        return
    model_cfg = copy.deepcopy(cfg.model)
    if 'init_cfg' in model_cfg:
        model_cfg.init_cfg = None  # Pretrained switched off (no download)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    if 'subnet' in path:
        assert not any(
            getattr(m, 'is_fixed', True) is False for m in model.modules())
        # the subnet's input size: train at a small size to stay fast
        model.input_resizer.shape = (32, 32)
    else:
        assert isinstance(model, BigNAS)
        assert cfg.model_wrapper_cfg.type == 'mmrazor.BigNASDDP'
        resizer = model.architecture.input_resizer
        shape = resizer.get_mutable_attr('shape')
        # keep the sampled input sizes small on CPU
        shape._value_list = [[32, 32], [40, 40]]
        shape.current_choice = [40, 40]
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    hub.update_info('max_iters', 10)
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(_data(), optim_wrapper)
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    if 'supernet' in path:
        assert 'min_subnet.loss_kl' in log_vars
