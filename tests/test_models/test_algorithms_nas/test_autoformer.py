# Copyright (c) OpenMMLab. All rights reserved.
"""AutoFormer: the ViT supernet, its subnets and static export, the
algorithm, the configs and the published subnet B."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmrazor  # noqa: F401  (installs the mmcls:: config prefix)
from mmrazor.models import Autoformer
from mmrazor.models.architectures.dynamic_ops import DynamicMixin
from mmrazor.models.mutables import BaseMutable
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import (convert_fix_subnet, export_fix_subnet,
                                       load_fix_subnet)

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CFG_DIR = osp.join(REPO, 'configs/nas/mmcls/autoformer')

TINY_ARCH = dict(
    mlp_ratios=[1.0, 2.0], num_heads=[1, 2], depth=[2, 3], embed_dims=[8, 16])


def tiny_supernet(num_classes=4):
    return dict(
        _scope_='mmrazor',
        type='SearchableImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor', num_classes=num_classes),
        backbone=dict(
            type='mmrazor.AutoformerBackbone',
            arch_setting=TINY_ARCH,
            img_size=16,
            patch_size=4,
            in_channels=3,
            head_dims=8,
            max_relative_position=3),
        neck=None,
        head=dict(
            type='DynamicLinearClsHead',
            num_classes=num_classes,
            in_channels=16,
            loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0)),
        connect_head=dict(connect_with_backbone='backbone.last_mutable'))


@pytest.fixture
def algorithm():
    torch.manual_seed(0)
    alg = Autoformer(tiny_supernet())
    alg.init_weights()
    return alg


def _batch(num=4, size=16, num_classes=4, seed=0):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
        for _ in range(num)
    ]
    samples = [DataSample().set_gt_label(i % num_classes) for i in range(num)]
    return dict(inputs=inputs, data_samples=samples)


def test_search_space_and_subnet_keys(algorithm):
    groups = algorithm.mutator.search_groups
    # depth + (heads, mlp ratio) per block + the embed dims channel unit
    assert len(groups) == 1 + 2 * 3 + 1
    assert sum(k.startswith('channel') for k in groups) == 1
    fix, _ = export_fix_subnet(algorithm.architecture)
    expected = {
        'backbone.mutable_embed_dims', 'backbone.mutable_depth',
        'backbone.base_embed_dims'
    }
    for i in range(3):
        expected |= {
            f'backbone.blocks.{i}.attn.mutable_attrs.num_heads',
            f'backbone.blocks.{i}.mutable_mlp_ratios'
        }
    assert set(fix) == expected
    choices = algorithm.mutator.max_choices
    assert choices['channel_0'] == 16


def test_random_subnet_equals_exported_static_model(algorithm):
    from mmrazor.models.task_modules import ResourceEstimator
    x = torch.rand(2, 3, 16, 16)
    torch.manual_seed(3)
    for _ in range(3):
        subnet = algorithm.mutator.sample_choices()
        algorithm.mutator.set_choices(subnet)
        algorithm.eval()
        with torch.no_grad():
            out = algorithm(x, mode='tensor')
        fix, static = export_fix_subnet(
            algorithm.architecture, slice_weight=True)
        assert not any(isinstance(m, DynamicMixin) for m in static.modules())
        assert all(m.is_fixed for m in static.modules()
                   if isinstance(m, BaseMutable))
        static.eval()
        with torch.no_grad():
            torch.testing.assert_close(static(x, mode='tensor'), out)
        # the supernet estimate at this choice counts the static subnet
        est = ResourceEstimator(
            input_shape=(1, 3, 16, 16), units=dict(flops=None, params=None))
        sup, sta = est.estimate(algorithm.architecture), est.estimate(static)
        assert sup['flops'] == sta['flops']
        assert sup['params'] == sta['params']
        depth = fix['backbone.mutable_depth'].chosen
        assert len(static.backbone.blocks) == depth
        embed = fix['backbone.mutable_embed_dims'].chosen
        assert static.head.fc.in_features == embed
        for i in range(depth):
            block = static.backbone.blocks[i]
            heads = fix[f'backbone.blocks.{i}.attn.mutable_attrs.num_heads']
            ratio = fix[f'backbone.blocks.{i}.mutable_mlp_ratios']
            assert block.attn.num_heads == heads.chosen
            assert block.attn.w_qs.weight.shape == (8 * heads.chosen, embed)
            assert block.fc1.out_features == int(embed * ratio.chosen)


def test_loss_trains_a_random_subnet_per_step(algorithm, monkeypatch):
    from mmengine.optim import OptimWrapper
    seen = []
    sample = algorithm.mutator.sample_choices

    def recording_sample(kind='random'):
        choice = sample(kind)
        seen.append(choice)
        return choice

    monkeypatch.setattr(algorithm.mutator, 'sample_choices', recording_sample)
    optim = OptimWrapper(torch.optim.AdamW(algorithm.parameters(), lr=3e-3))
    batch = _batch()
    algorithm.train()
    losses = []
    torch.manual_seed(0)
    for _ in range(10):
        log = algorithm.train_step(batch, optim)
        losses.append(float(log['loss'].detach()))
    assert len(seen) == 10
    assert len({str(s) for s in seen}) > 5  # a new random subnet per step
    assert all(torch.isfinite(torch.tensor(losses)))
    # the max subnet fits the 4 fixed samples after the shared training
    algorithm.mutator.set_max_choices()
    algorithm.eval()
    with torch.no_grad():
        data = algorithm.data_preprocessor(batch)
        after = float(
            algorithm.architecture(
                data['inputs'], data['data_samples'], mode='loss')['loss'])
    assert after < losses[0]


def test_fixed_subnet_algorithm(algorithm):
    algorithm.mutator.set_choices(algorithm.mutator.min_choices)
    fix, _ = export_fix_subnet(algorithm.architecture)
    fixed = Autoformer(tiny_supernet(), fix_subnet=convert_fix_subnet(fix))
    assert fixed.mutator is None and not fixed.is_supernet
    assert not any(isinstance(m, DynamicMixin) for m in fixed.modules())
    assert len(fixed.architecture.backbone.blocks) == 2
    with pytest.raises(RuntimeError, match='fixed subnet'):
        fixed.sample_subnet()
    out = fixed(torch.rand(1, 3, 16, 16), mode='tensor')
    assert out.shape == (1, 4)


# -------------------------------------------------------------- bad input
def _tiny_subnet_dict(algorithm):
    fix, _ = export_fix_subnet(algorithm.architecture)
    return convert_fix_subnet(fix)


def test_subnet_naming_an_unknown_alias(algorithm):
    subnet = _tiny_subnet_dict(algorithm)
    subnet['backbone.blocks.7.mutable_mlp_ratios'] = dict(chosen=2.0)
    model = MODELS.build(tiny_supernet())
    with pytest.raises(KeyError) as info:
        load_fix_subnet(model, subnet)
    msg = str(info.value)
    assert 'backbone.blocks.7.mutable_mlp_ratios' in msg
    assert 'backbone.blocks.2.mutable_mlp_ratios' in msg  # expected keys
    subnet.pop('backbone.blocks.7.mutable_mlp_ratios')
    subnet.pop('backbone.mutable_depth')
    with pytest.raises(KeyError, match='missing keys.*mutable_depth'):
        load_fix_subnet(MODELS.build(tiny_supernet()), subnet)


@pytest.mark.parametrize('key, value, allowed', [
    ('backbone.blocks.1.attn.mutable_attrs.num_heads', 3, '[1, 2]'),
    ('backbone.blocks.0.mutable_mlp_ratios', 3.0, '[1.0, 2.0]'),
    ('backbone.mutable_depth', 4, '[2, 3]'),
    ('backbone.mutable_embed_dims', 12, '[8, 16]'),
])
def test_subnet_values_outside_the_search_space(algorithm, key, value,
                                                allowed):
    subnet = _tiny_subnet_dict(algorithm)
    subnet[key] = dict(chosen=value)
    with pytest.raises(ValueError) as info:
        load_fix_subnet(MODELS.build(tiny_supernet()), subnet)
    msg = str(info.value)
    assert key in msg and str(value) in msg and allowed in msg, msg


def test_bad_arch_setting():
    cfg = tiny_supernet()
    cfg['backbone']['arch_setting'] = dict(TINY_ARCH, depth=[])
    with pytest.raises(ValueError, match='arch_setting.depth'):
        MODELS.build(cfg)
    cfg['backbone']['arch_setting'] = dict(mlp_ratios=[1.0], depth=[1])
    with pytest.raises(ValueError, match='embed_dims'):
        MODELS.build(cfg)


# ---------------------------------------------------------------- configs
def _load_cfg(name):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    # no download in tests: the Pretrained init is switched off
    if cfg.model.get('type') == 'sub_model':
        cfg.model.pop('init_cfg', None)
        cfg.model.init_weight_from_supernet = False
    return cfg


def _one_train_step(cfg, model, size=224):
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    g = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(
                0, 256, (3, size, size), generator=g, dtype=torch.uint8)
            for _ in range(2)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in (3, 7)])
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    log = model.train_step(data, optim)
    assert torch.isfinite(log['loss'])
    assert any(not torch.equal(b, p)
               for b, p in zip(before, model.parameters()))
    return log


@pytest.mark.slow
@pytest.mark.parametrize('name', [
    'autoformer_supernet_32xb256_in1k.py', 'autoformer_search_8xb128_in1k.py'
])
def test_supernet_and_search_configs(name):
    cfg = _load_cfg(name)
    torch.manual_seed(0)
    # (mmcls' RandomBatchAugment edits its `probs` list: build a copy)
    model = MODELS.build(copy.deepcopy(cfg.model))
    assert isinstance(model, Autoformer) and model.is_supernet
    # depth + 16 x (heads, ratio) + embed dims
    assert len(model.mutator.search_groups) == 1 + 2 * 16 + 1
    assert model.mutator.max_choices['channel_0'] == 624
    if 'search' in name:
        assert cfg.train_cfg.type == 'mmrazor.EvolutionSearchLoop'
        assert cfg.train_cfg.constraints_range == dict(params=(0, 55))
    # one train step of the same config (data preprocessor with Mixup /
    # CutMix, head, loss, AdamW wrapper) on a small search space
    _shrink(cfg.model.architecture)
    torch.manual_seed(0)
    small = MODELS.build(cfg.model)
    _one_train_step(cfg, small, size=32)


def _shrink(supernet_cfg):
    backbone = supernet_cfg.backbone
    backbone.arch_setting = dict(
        mlp_ratios=[1.0, 2.0],
        num_heads=[1, 2],
        depth=[1, 2],
        embed_dims=[32, 48])
    backbone.update(img_size=32, head_dims=16)
    supernet_cfg.head.in_channels = 48


@pytest.mark.slow
def test_subnet_config_trains_a_searched_subnet(tmp_path):
    from mmrazor.structures.subnet import dump_fix_subnet
    cfg = _load_cfg('autoformer_subnet_8xb256_in1k.py')
    assert cfg.model.fix_subnet.endswith('AUTOFORMER_SUBNET_B.yaml')
    _shrink(cfg.model.cfg)
    supernet = Autoformer(copy.deepcopy(cfg.model.cfg))
    supernet.mutator.set_choices(supernet.mutator.sample_choices())
    fix, _ = export_fix_subnet(supernet.architecture)
    dump_fix_subnet(fix, tmp_path / 'subnet.yaml')
    cfg.model.fix_subnet = str(tmp_path / 'subnet.yaml')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert not any(isinstance(m, DynamicMixin) for m in model.modules())
    assert len(model.backbone.blocks) == \
        fix['backbone.mutable_depth'].chosen
    _one_train_step(cfg, model, size=32)


@pytest.fixture(scope='module')
def subnet_b():
    cfg = _load_cfg('autoformer_subnet_8xb256_in1k.py')
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model)


@pytest.mark.slow
def test_subnet_config_builds_subnet_b(subnet_b):
    _, model = subnet_b
    assert not any(isinstance(m, DynamicMixin) for m in model.modules())
    blocks = model.backbone.blocks
    assert len(blocks) == 14
    assert model.backbone.patch_embed.projection.out_channels == 576
    assert [b.attn.num_heads for b in blocks] == \
        [10, 10, 10, 8, 10, 9, 8, 8, 9, 8, 10, 10, 9, 10]
    assert [b.fc1.out_features for b in blocks] == [
        int(576 * r) for r in (3.5, 3.5, 3.5, 4.0, 3.0, 3.0, 3.5, 3.5, 4.0,
                               4.0, 4.0, 4.0, 4.0, 4.0)
    ]
    assert model.head.fc.in_features == 576


@pytest.mark.slow
def test_subnet_b_matches_the_published_params_and_flops(subnet_b):
    """54.319 M params / 10.57 GFLOPs (README table), counted with
    mmengine.analysis, independent of our estimator. The table counts the
    FLOPs of the parameterised layers (patch conv, linear layers, norms):
    the attention products (matmul / einsum) are reported apart."""
    from mmengine.analysis import FlopAnalyzer, parameter_count
    _, model = subnet_b
    model.eval()
    params = parameter_count(model)['']
    assert abs(params / 1e6 - 54.319) / 54.319 < 0.03
    analyzer = FlopAnalyzer(model, (torch.rand(1, 3, 224, 224), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_op = analyzer.by_operator()
    layers = by_op['conv'] + by_op['linear'] + by_op.get('layer_norm', 0)
    assert abs(layers / 1e9 - 10.57) / 10.57 < 0.03
    products = by_op.get('matmul', 0) + by_op.get('einsum', 0)
    assert 0.05 < products / layers < 0.15


@pytest.mark.slow
def test_digits_configs_build_and_train(tmp_path):
    """The digits chain: the supernet trains a step, the subnet config
    builds the searched DIGITS_SUBNET.yaml as a static model."""
    digits = osp.join(CFG_DIR, 'digits')
    cfg = Config.fromfile(
        osp.join(digits, 'autoformer-tiny_supernet_1xb32_digits.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert isinstance(model, Autoformer)
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    data = dict(
        inputs=[torch.randint(0, 256, (1, 16, 16), dtype=torch.uint8)] * 2,
        data_samples=[DataSample().set_gt_label(i) for i in (1, 2)])
    assert torch.isfinite(model.train_step(data, optim)['loss'])
    cfg = Config.fromfile(
        osp.join(digits, 'autoformer-tiny_subnet_1xb32_digits.py'))
    cfg.model.pop('init_cfg')  # the supernet checkpoint of step 1
    cfg.model.init_weight_from_supernet = False
    subnet = MODELS.build(cfg.model)
    assert not any(isinstance(m, DynamicMixin) for m in subnet.modules())
    assert len(subnet.backbone.blocks) == 4
    assert subnet.head.fc.in_features == 32
    out = subnet(torch.rand(2, 1, 16, 16), mode='tensor')
    assert out.shape == (2, 10)


@pytest.mark.slow
def test_digits_search_under_a_params_budget(tmp_path):
    """EvolutionSearchLoop on the Autoformer supernet (digits search
    config, shortened): the best subnet meets the parameter budget and
    loads through the subnet config."""
    import yaml
    from mmengine.runner import Runner

    from mmrazor.models.task_modules import ResourceEstimator
    from mmrazor.utils.cli import add_checkpoint_state_hook
    digits = osp.join(CFG_DIR, 'digits')
    cfg = Config.fromfile(
        osp.join(digits, 'autoformer-tiny_search_1xb32_digits.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.update(
        max_epochs=1,
        num_candidates=4,
        top_k=2,
        num_mutation=1,
        num_crossover=1,
        constraints_range=dict(params=(0., 30.)))
    cfg.train_cfg.dataloader.dataset.indices = 64
    cfg.train_dataloader.dataset.indices = 64
    cfg.val_dataloader.dataset.indices = 64
    cfg.log_level = 'WARNING'
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    add_checkpoint_state_hook(cfg)
    torch.manual_seed(0)
    Runner.from_cfg(cfg).train()
    best_path = tmp_path / 'best_fix_subnet.yaml'
    best = yaml.safe_load(open(best_path))
    assert 'backbone.mutable_embed_dims' in best
    sub_cfg = Config.fromfile(
        osp.join(digits, 'autoformer-tiny_subnet_1xb32_digits.py'))
    sub_cfg.model.pop('init_cfg')
    sub_cfg.model.init_weight_from_supernet = False
    sub_cfg.model.fix_subnet = str(best_path)
    subnet = MODELS.build(sub_cfg.model)
    params = ResourceEstimator(
        input_shape=(1, 1, 16, 16),
        units=dict(params='K')).estimate(subnet)['params']
    assert params <= 30.
    assert len(subnet.backbone.blocks) == \
        best['backbone.mutable_depth']['chosen']
