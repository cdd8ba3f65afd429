# Copyright (c) OpenMMLab. All rights reserved.
"""The DCFF configs: the ImageNet ResNet-50 config prunes to the compact
model of the README table (2260 MFLOPs, 15.16 M params); the compact
configs load the published fix_subnet.json; the mmdet / mmseg configs build
their architectures; the mmpose ones fail naming mmpose (not installed)."""
import mmpretrain.registry  # noqa: F401,I001
import json
import os.path as osp

import pytest
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.models import DCFF
from mmrazor.models.architectures.dynamic_ops import DynamicMixin
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DCFF_DIR = osp.join(REPO, 'configs/pruning/{}/dcff')


def _cfg(repo, name):
    return Config.fromfile(osp.join(DCFF_DIR.format(repo), name))


@pytest.mark.slow
def test_mmcls_dcff_reaches_the_compact_resnet50_of_the_table():
    from mmengine.analysis import get_model_complexity_info

    from mmrazor.structures.subnet import export_fix_subnet
    cfg = _cfg('mmcls', 'dcff_resnet_8xb32_in1k.py')
    assert cfg.val_cfg.type == 'mmrazor.ItePruneValLoop'
    algo = MODELS.build(cfg.model)
    assert isinstance(algo, DCFF)
    assert algo.target_pruning_ratio == dict(cfg.target_pruning_ratio)
    algo.mutator.set_choices(algo.target_pruning_ratio)
    _, static = export_fix_subnet(algo, 'mutator', slice_weight=True)
    result = get_model_complexity_info(
        static.architecture.eval(),
        input_shape=(3, 224, 224),
        show_table=False,
        show_arch=False)
    assert abs(result['flops'] / 1e6 - 2260) / 2260 < 0.02
    assert abs(result['params'] / 1e6 - 15.16) / 15.16 < 0.02


@pytest.mark.slow
def test_mmcls_compact_config_loads_the_published_subnet():
    cfg = _cfg('mmcls', 'dcff_compact_resnet_8xb32_in1k.py')
    assert cfg.model.mode == 'mutator'
    cfg.model.init_cfg = None  # no exported weights ship
    model = MODELS.build(cfg.model)
    assert not any(isinstance(m, DynamicMixin) for m in model.modules())
    fix = json.load(open(osp.join(REPO, cfg.model.fix_subnet)))
    units = fix['channel_unit_cfg']['units']
    choice = units['backbone.layer1.0.conv1_(0, 64)_64']['choice']
    assert model.backbone.layer1[0].conv1.out_channels == int(64 * choice)
    assert model.backbone.layer1[0].bn1.num_features == int(64 * choice)
    assert model.backbone.conv1.out_channels == 64


@pytest.mark.parametrize('repo', ['mmcls', 'mmdet', 'mmseg', 'mmpose'])
def test_published_fix_subnets(repo):
    path = osp.join(DCFF_DIR.format(repo), 'fix_subnet.json')
    fix = json.load(open(path))
    assert fix['type'] == 'DCFFChannelMutator'
    assert fix['channel_unit_cfg']['type'] == 'DCFFChannelUnit'
    assert len(fix['channel_unit_cfg']['units']) == 12


@pytest.mark.parametrize('repo, name', [
    ('mmdet', 'dcff_faster_rcnn_resnet50_8xb4_coco.py'),
    ('mmdet', 'dcff_compact_faster_rcnn_resnet50_8xb4_coco.py'),
    ('mmseg', 'dcff_pointrend_resnet50_8xb2_cityscapes.py'),
    ('mmseg', 'dcff_compact_pointrend_resnet50_8xb2_cityscapes.py'),
])
def test_det_seg_configs_build_their_architectures(repo, name):
    import importlib
    importlib.import_module(f'{repo}.registry')
    cfg = _cfg(repo, name)
    if 'compact' in name:
        assert cfg.model.type == 'sub_model'
        assert cfg.model.fix_subnet.endswith(f'{repo}/dcff/fix_subnet.json')
        arch_cfg = cfg.model.cfg
    else:
        assert cfg.model.type == 'DCFF'
        assert len(cfg.model.target_pruning_ratio) == 36
        arch_cfg = cfg.model.architecture
    arch_cfg.pop('init_cfg', None)
    with_scope = dict(arch_cfg, _scope_=repo)
    arch = MODELS.build(with_scope)
    assert arch.backbone.depth == 50


@pytest.mark.parametrize('name', [
    'dcff_topdown_heatmap_resnet50_coco.py',
    'dcff_compact_topdown_heatmap_resnet50_coco.py'
])
def test_mmpose_configs_name_the_missing_package(name):
    try:
        import mmpose  # noqa: F401
    except ImportError:
        with pytest.raises(ModuleNotFoundError, match='mmpose'):
            _cfg('mmpose', name)
    else:  # bash tools/setup_env.sh --mmpose
        assert _cfg('mmpose', name).model.type in ('DCFF', 'sub_model')
