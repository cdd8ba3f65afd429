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


def _pointrend_compact():
    """The compact PointRend config, downloads switched off."""
    import copy

    import mmseg.registry  # noqa: F401
    cfg = _cfg('mmseg', 'dcff_compact_pointrend_resnet50_8xb2_cityscapes.py')
    cfg.model.init_cfg = None  # no exported weights ship
    cfg.model.cfg.pretrained = None
    return copy.deepcopy(cfg.model)


@pytest.mark.slow
def test_mmseg_compact_pointrend_loads_the_published_subnet():
    """The published fix_subnet.json (one file for the four DCFF folders)
    names the stem unit ``backbone.conv1`` of a ResNet; PointRend's
    ResNetV1c has a deep stem instead. That unit keeps all its channels
    (choice 1.0), so it is skipped with a warning naming it, and the other
    eleven units are applied."""
    from mmengine.registry import DefaultScope
    fix = json.load(
        open(osp.join(DCFF_DIR.format('mmseg'), 'fix_subnet.json')))
    units = fix['channel_unit_cfg']['units']
    assert units['backbone.conv1_(0, 64)_64']['choice'] == 1.0
    with DefaultScope.overwrite_default_scope('mmseg'), \
            pytest.warns(UserWarning,
                         match=r"\['backbone.conv1_\(0, 64\)_64'\]; each "
                         'keeps all its channels'):
        model = MODELS.build(_pointrend_compact())
    assert not any(isinstance(m, DynamicMixin) for m in model.modules())
    backbone = model.backbone
    assert type(backbone).__name__ == 'ResNetV1c'
    assert [backbone.stem[i].out_channels for i in (0, 3, 6)] == [32, 32, 64]
    for name, unit in units.items():
        if name.startswith('backbone.conv1'):
            continue
        module = model.get_submodule(name.rsplit('_(', 1)[0])
        num = unit['init_args']['num_channels']
        assert module.out_channels == int(num * unit['choice']), name
    assert backbone.layer1[0].conv1.out_channels == 41
    assert backbone.layer4[0].conv2.out_channels == 358


@pytest.mark.slow
def test_mmseg_pruned_unit_the_model_lacks_is_an_error(tmp_path):
    """A unit the model lacks that would be pruned is an error naming the
    unit, its choice and the closest units of the model."""
    from mmengine.registry import DefaultScope
    fix = json.load(
        open(osp.join(DCFF_DIR.format('mmseg'), 'fix_subnet.json')))
    fix['channel_unit_cfg']['units']['backbone.conv1_(0, 64)_64'][
        'choice'] = 0.5
    path = tmp_path / 'fix_subnet.json'
    path.write_text(json.dumps(fix))
    cfg = _pointrend_compact()
    cfg.fix_subnet = str(path)
    with DefaultScope.overwrite_default_scope('mmseg'), \
            pytest.raises(KeyError) as info:
        MODELS.build(cfg)
    message = str(info.value)
    assert 'names 1 units that CascadeEncoderDecoder does not have: ' \
        'backbone.conv1_(0, 64)_64 (choice 0.5; closest units of the ' \
        "model: ['backbone.stem.6_(0, 64)_64'" in message, message
    assert 'written for another model' in message


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


@pytest.mark.slow
def test_mmpose_topdown_dcff_prunes_into_the_deconvolutions():
    """With mmpose (``bash tools/setup_env.sh --mmpose``): the compact
    config loads the published fix_subnet.json, and the DCFF config's
    target prunes ``backbone.layer4.0.conv3``, whose channels feed the
    ConvTranspose2d of the HeatmapHead; the compact model it exports
    computes what the pruned supernet does."""
    pytest.importorskip('mmpose', reason='mmpose is optional')
    import torch
    from mmengine.registry import DefaultScope

    from mmrazor.structures.subnet import export_fix_subnet
    compact = _cfg('mmpose', 'dcff_compact_topdown_heatmap_resnet50_coco.py')
    compact.model.init_cfg = None
    compact.model.cfg.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MODELS.build(compact.model)
    assert not any(isinstance(m, DynamicMixin) for m in model.modules())
    assert model.backbone.layer1[0].conv1.out_channels == 41
    cfg = _cfg('mmpose', 'dcff_topdown_heatmap_resnet50_coco.py')
    cfg.model.architecture.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpose'):
        algo = MODELS.build(cfg.model)
    assert isinstance(algo, DCFF)
    names = {u.name for u in algo.mutator.mutable_units}
    assert 'backbone.layer4.0.conv3_(0, 2048)_2048' in names
    assert 'head.deconv_layers.0_(0, 256)_256' in names
    algo.mutator.set_choices(algo.target_pruning_ratio)
    algo.eval()
    x = torch.rand(1, 3, 64, 48)
    with torch.no_grad():
        expected = algo.architecture(x, None, mode='tensor')
    _, static = export_fix_subnet(algo, 'mutator', slice_weight=True)
    arch = static.architecture
    assert not any(isinstance(m, DynamicMixin) for m in arch.modules())
    assert arch.backbone.layer4[0].conv3.out_channels == 1843
    assert arch.head.deconv_layers[0].in_channels == 1843
    with torch.no_grad():
        torch.testing.assert_close(
            arch(x, None, mode='tensor'), expected, atol=1e-4, rtol=1e-4)
