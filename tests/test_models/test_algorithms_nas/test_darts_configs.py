# Copyright (c) OpenMMLab. All rights reserved.
"""The DARTS search configs build on CPU (the subnet configs are built by
the paper-table test of test_darts_backbone.py)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmrazor.models import Darts, DartsBackbone
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DARTS = osp.join(REPO, 'configs/nas/mmcls/darts')


@pytest.mark.parametrize('config, unroll, in_channels', [
    ('darts_supernet_unroll_1xb64_cifar10.py', True, 3),
    ('digits/darts_supernet_1xb32_digits.py', False, 1),
    ('digits/darts_supernet_unroll_1xb32_digits.py', True, 1),
])
def test_darts_search_configs_build(config, unroll, in_channels):
    import mmpretrain.registry  # noqa: F401
    cfg = Config.fromfile(osp.join(DARTS, config))
    model = MODELS.build(cfg.model)
    assert isinstance(model, Darts) and model.unroll is unroll
    assert isinstance(model.architecture.backbone, DartsBackbone)
    # one arch param per node and per edge alias
    num_nodes = model.architecture.backbone.num_nodes
    per_cell = num_nodes + sum(range(2, num_nodes + 2))
    assert len(model.mutator.arch_params) == 2 * per_cell
    assert cfg.train_cfg.type == 'mmrazor.DartsEpochBasedTrainLoop'
    assert 'mutator_dataloader' in cfg.train_cfg
    assert cfg.optim_wrapper.constructor == \
        'mmrazor.SeparateOptimWrapperConstructor'
    assert set(cfg.optim_wrapper) >= {'architecture', 'mutator'}
    if 'cifar10' in config:
        assert cfg.model_wrapper_cfg.type == 'mmrazor.DartsDDP'
    with torch.no_grad():
        out = model(torch.rand(1, in_channels, 16, 16), mode='tensor')
    assert out.shape == (1, 10)
