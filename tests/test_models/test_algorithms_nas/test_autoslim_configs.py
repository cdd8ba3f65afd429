# Copyright (c) OpenMMLab. All rights reserved.
"""The AutoSlim configs build on CPU; each subnet of the published
slimmable MobileNetV2 (x1.5) deploys to a static model matching the README
table (530 / 320 / 220 MFLOPs, 6.5 / 5.77 / 4.13 M params) within 3 %."""
import mmpretrain.registry  # noqa: F401,I001
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.models import AutoSlim
from mmrazor.models.architectures.dynamic_ops import (DynamicMixin,
                                                      SwitchableBatchNorm2d)
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FOLDER = osp.join(REPO, 'configs/nas/mmcls/autoslim')
CONFIGS = sorted(
    glob.glob(osp.join(FOLDER, '*.py')) +
    glob.glob(osp.join(FOLDER, 'digits/*.py')))
# subnet index: (MFLOPs, M params) of the README table
TABLE = {
    '220M': (0, 220., 4.13),
    '320M': (1, 320., 5.77),
    '530M': (2, 530., 6.5)
}


def test_config_files():
    names = [osp.basename(p) for p in glob.glob(osp.join(FOLDER, '*.py'))]
    assert len(names) == 6
    for base in ('imagenet_bs2048_autoslim.py',
                 'imagenet_bs2048_autoslim_pil.py'):
        assert osp.exists(osp.join(REPO, 'configs/_base_/settings', base))


@pytest.fixture(scope='module')
def supernet():
    cfg = Config.fromfile(
        osp.join(FOLDER, 'autoslim_mbv2_1.5x_supernet_8xb256_in1k.py'))
    return cfg, MODELS.build(cfg.model)


@pytest.mark.slow
def test_supernet_and_search_configs(supernet):
    cfg, model = supernet
    assert isinstance(model, AutoSlim)
    assert cfg.model_wrapper_cfg.type == 'mmrazor.AutoSlimDDP'
    assert cfg.optim_wrapper.accumulative_counts == 4
    units = model.mutator.mutable_units
    assert len(units) > 20
    # up to 11 widths per unit (2/12 .. 12/12), made divisible by 8
    for unit in units:
        assert unit.divisor == 8 and 1 < len(unit.candidate_choices) <= 11
        assert all(
            unit._get_valid_int_choice(c) % 8 == 0
            for c in unit.candidate_choices)
    search = Config.fromfile(
        osp.join(FOLDER, 'autoslim_mbv2_1.5x_search_8xb256_in1k.py'))
    assert search.test_cfg.type == 'mmrazor.AutoSlimGreedySearchLoop'
    assert tuple(search.test_cfg.target_flops) == (500., 300., 200.)
    assert search.model.norm_training is True


@pytest.fixture(scope='module')
def slimmable():
    cfg = Config.fromfile(
        osp.join(FOLDER, 'autoslim_mbv2_1.5x_slimmable_subnet_8xb256_in1k.py'))
    return cfg, MODELS.build(cfg.model)


@pytest.mark.slow
def test_slimmable_supernet_config(slimmable):
    cfg, model = slimmable
    assert len(model.mutator.subnets) == 3
    assert cfg.val_cfg.type == 'mmrazor.SlimmableValLoop'
    assert cfg.model_wrapper_cfg.type == 'mmrazor.SlimmableNetworkDDP'
    bns = [m for m in model.modules() if isinstance(m, SwitchableBatchNorm2d)]
    assert bns and max(len(m.candidates) for m in bns) == 3


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(TABLE))
def test_slimmable_subnets_match_the_table(name, slimmable):
    """The subnet config's deploy_index, applied to the slimmable supernet
    of its base config (one build for the three configs)."""
    from mmengine.analysis import get_model_complexity_info
    index, flops, params = TABLE[name]
    cfg = Config.fromfile(
        osp.join(FOLDER,
                 f'autoslim_mbv2_1.5x_subnet_8xb256_in1k_flops-{name}.py'))
    assert cfg.model.deploy_index == index
    assert cfg.model.type == 'SlimmableNetwork'
    model = copy.deepcopy(slimmable[1])
    model._deploy(cfg.model.deploy_index)
    assert model.is_deployed
    assert not any(isinstance(m, DynamicMixin) for m in model.modules())
    result = get_model_complexity_info(
        model.architecture.eval(),
        input_shape=(3, 224, 224),
        show_table=False,
        show_arch=False)
    assert abs(result['flops'] / 1e6 - flops) / flops < 0.03
    assert abs(result['params'] / 1e6 - params) / params < 0.03


@pytest.mark.slow
def test_digits_configs_build():
    units = None
    for path in CONFIGS:
        if '/digits/' not in path or 'slimmable' in path:
            continue
        cfg = Config.fromfile(path)
        model = MODELS.build(cfg.model)
        assert isinstance(model, AutoSlim)
        assert len(model.mutator.mutable_units) == 12
        if 'search' in path:
            assert model.norm_training
            assert cfg.test_cfg.type == 'mmrazor.AutoSlimGreedySearchLoop'
        # what the search writes to slimmable_config.json: two subnets
        units = {
            u.name:
            dict(
                init_args=dict(
                    num_channels=u.num_channels,
                    candidate_choices=[u.num_channels // 4, u.num_channels]),
                choice=u.num_channels)
            for u in model.mutator.mutable_units
        }
    cfg = Config.fromfile(
        osp.join(FOLDER,
                 'digits/autoslim_resnet18-w16_slimmable_1xb32_digits.py'))
    assert cfg.model.mutator.channel_unit_cfg.units.endswith(
        'slimmable_config.json')
    cfg.model.mutator.channel_unit_cfg.units = units
    model = MODELS.build(cfg.model)
    assert len(model.mutator.subnets) == 2
    assert cfg.val_cfg.type == 'mmrazor.SlimmableValLoop'
