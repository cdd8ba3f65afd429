# Copyright (c) OpenMMLab. All rights reserved.
"""SearchableImageClassifier (input-size search, connect_head),
DynamicLinearClsHead, DynamicInputResizer, SqueezeMeanPoolingWithDropout."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.models.architectures.dynamic_ops import DynamicInputResizer
from mmrazor.models.architectures.necks import SqueezeMeanPoolingWithDropout
from mmrazor.models.architectures.ops.input_resizer import InputResizer
from mmrazor.models.mutables import OneShotMutableChannel, OneShotMutableValue
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import export_fix_subnet

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DIGITS_CFG = osp.join(
    REPO, 'configs/nas/mmcls/bignas/digits/'
    'attentive_mobilenet-tiny_supernet_1xb32_digits.py')


@pytest.fixture(scope='module')
def supernet_cfg():
    return Config.fromfile(DIGITS_CFG).supernet


def _build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model.eval()


def test_classifier_input_resizer_and_head(supernet_cfg):
    from mmrazor.models.architectures.classifiers import \
        SearchableImageClassifier
    from mmrazor.models.architectures.dynamic_ops.head import \
        DynamicLinearClsHead
    model = _build(supernet_cfg)
    assert isinstance(model, SearchableImageClassifier)
    assert isinstance(model.head, DynamicLinearClsHead)
    shape = model.input_resizer.get_mutable_attr('shape')
    assert shape.alias == 'input_shape'
    assert shape.choices == [[12, 12], [16, 16]]
    assert shape.current_choice == [16, 16]  # default: the largest

    seen = []
    hook = model.backbone.register_forward_pre_hook(
        lambda m, a: seen.append(tuple(a[0].shape[-2:])))
    x = torch.rand(2, 1, 16, 16)
    shape.current_choice = [12, 12]
    out = model(x, mode='tensor')
    hook.remove()
    assert seen == [(12, 12)]
    assert out.shape == (2, 10)
    with pytest.raises(ValueError, match=r'input_shape.*\[\[12, 12\], '):
        shape.current_choice = [14, 14]

    # the head follows backbone.last_channels
    last = model.backbone.last_mutable_channels
    last.current_choice = 128
    feats = model.extract_feat(x)
    assert feats[-1].shape == (2, 128)
    w, b = model.head.fc.get_dynamic_params()
    assert w.shape == (10, 128)
    torch.testing.assert_close(model.head(feats), feats[-1] @ w.t() + b)


def test_classifier_export_static_equal(supernet_cfg):
    model = _build(supernet_cfg)
    from mmrazor.models.mutators import NasMutator
    mutator = NasMutator()
    mutator.prepare_from_supernet(model)
    torch.manual_seed(1)
    mutator.set_choices(mutator.sample_choices())
    x = torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        expected = model(x, mode='tensor')
    fix, static = export_fix_subnet(model, slice_weight=True)
    assert 'input_shape' in fix and 'backbone.last_channels' in fix
    assert isinstance(static.input_resizer, InputResizer)
    assert not isinstance(static.input_resizer, DynamicInputResizer)
    assert type(static.head.fc) is torch.nn.Linear
    assert static.head.fc.in_features == fix['backbone.last_channels'].chosen
    with torch.no_grad():
        torch.testing.assert_close(static(x, mode='tensor'), expected)


def test_connect_head_errors(supernet_cfg):
    cfg = copy.deepcopy(supernet_cfg)
    cfg.connect_head = dict(connect_with_backbone='backbone.no_such_attr')
    with pytest.raises(AttributeError, match='backbone.no_such_attr'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(supernet_cfg)
    cfg.head.in_channels = 128
    with pytest.raises(ValueError, match='256 channels but in_channels=128'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(supernet_cfg)
    cfg.input_resizer_cfg = dict(input_sizes=[[12, 'a']])
    with pytest.raises(ValueError, match='input_sizes'):
        MODELS.build(cfg)


def test_dynamic_linear_cls_head_alone():
    head = MODELS.build(
        dict(
            type='mmrazor.DynamicLinearClsHead',
            num_classes=3,
            in_channels=8,
            loss=dict(type='mmcls.CrossEntropyLoss')))
    with pytest.raises(TypeError, match='mutable channel'):
        head.connect_with_backbone(torch.nn.Identity())
    mutable = OneShotMutableChannel(8, candidate_choices=[4, 8])
    head.connect_with_backbone(mutable)
    mutable.current_choice = 4
    feats = (torch.rand(5, 4), )
    assert head(feats).shape == (5, 3)
    torch.testing.assert_close(
        head(feats), feats[0] @ head.fc.weight[:, :4].t() + head.fc.bias)


def test_dynamic_input_resizer_static_and_counter():
    resizer = DynamicInputResizer(interpolation_type='bilinear')
    mutable = OneShotMutableValue([[6, 6], [8, 8]])
    resizer.register_mutable_attr('shape', mutable)
    x = torch.rand(1, 2, 8, 8)
    assert resizer(x) is x  # already the size
    mutable.current_choice = [6, 6]
    out = resizer(x)
    assert out.shape == (1, 2, 6, 6)
    with pytest.raises(RuntimeError, match='not fixed'):
        resizer.to_static_op()
    mutable.fix_chosen([6, 6])
    static = resizer.to_static_op()
    assert type(static) is InputResizer and static.shape == (6, 6)
    torch.testing.assert_close(static(x), out)
    from mmrazor.models.task_modules.estimators.counters import \
        get_model_flops_params
    flops, params = get_model_flops_params(
        torch.nn.Sequential(resizer), input_shape=(1, 2, 8, 8), units=None)
    assert flops == 2 * 6 * 6 and params == 0


def test_squeeze_mean_pooling_with_dropout():
    neck = SqueezeMeanPoolingWithDropout(drop_ratio=0.5)
    x = torch.arange(16.).view(1, 4, 2, 2)
    neck.eval()
    out = neck((x, ))
    torch.testing.assert_close(out[0], x.mean((2, 3)))
    neck.train()
    torch.manual_seed(0)
    dropped = neck(x)
    kept = dropped != 0
    torch.testing.assert_close(dropped[kept], 2 * x.mean((2, 3))[kept])
    with pytest.raises(ValueError, match='drop_ratio'):
        SqueezeMeanPoolingWithDropout(drop_ratio=1.0)
