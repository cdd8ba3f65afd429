# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
from torch import nn

from mmrazor.models.mutators import ChannelMutator
from mmrazor.models.task_modules.tracer import (ChannelAnalyzer,
                                                UntraceableModelError)
from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static


class ResCatNet(nn.Module):
    """Residual add, concat, chunk, depthwise, shared module, flatten."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.res = nn.Conv2d(8, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.a = nn.Conv2d(8, 6, 1)
        self.b = nn.Conv2d(8, 4, 1)
        self.shared = nn.Conv2d(10, 10, 1)
        self.split_l = nn.Conv2d(5, 4, 1)
        self.split_r = nn.Conv2d(5, 4, 1)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = x + self.res(x)
        x = self.dw(x)
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        y = self.shared(self.shared(y))
        left, right = torch.chunk(y, 2, dim=1)
        z = torch.cat([self.split_l(left), self.split_r(right)], 1)
        z = nn.functional.adaptive_avg_pool2d(z, 4)
        return self.fc(torch.flatten(z, 1))


class Unknown(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 1)
        self.conv2 = nn.Conv2d(8, 8, 1)
        self.gconv = nn.Conv2d(8, 8, 1, groups=2)
        self.conv3 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.conv1(x)
        b, c, h, w = x.shape
        # hard-coded group sizes: which one is kept when pruned is unknown
        x = x.view(b, 2, 4, h, w).transpose(1, 2).reshape(b, c, h, w)
        x = self.gconv(self.conv2(x))
        return self.conv3(x)


class ShuffleBlock(nn.Module):
    """ShuffleNet-v2 style: two branches, concat, channel shuffle."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.branch1 = nn.Conv2d(8, 4, 1)
        self.branch2 = nn.Sequential(
            nn.Conv2d(8, 6, 1), nn.BatchNorm2d(6), nn.ReLU(),
            nn.Conv2d(6, 4, 1))
        self.head = nn.Conv2d(8, 5, 1)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.branch1(x), self.branch2(x)], dim=1)
        b, c, h, w = x.size()
        x = x.view(b, 2, c // 2, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        return self.head(x.view(b, c, h, w))


class LN2dNet(nn.Module):
    """ConvNeXt-style channel LayerNorms (torchvision and mmpretrain)."""

    def __init__(self):
        super().__init__()
        from mmpretrain.models.utils.norm import LayerNorm2d as MMLN2d
        from torchvision.models.convnext import LayerNorm2d as TVLN2d
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.ln1 = TVLN2d(8)
        self.conv2 = nn.Conv2d(8, 6, 1)
        self.ln2 = MMLN2d(6)
        self.conv3 = nn.Conv2d(6, 4, 1)

    def forward(self, x):
        x = self.ln1(self.conv1(x))
        return self.conv3(self.ln2(self.conv2(x)))


class TinyViT(nn.Module):
    """Class token, position embedding, attention and an MLP block."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 8)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.pos = nn.Parameter(torch.zeros(1, 5, 8))
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc1 = nn.Linear(8, 12)
        self.fc2 = nn.Linear(12, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        x = self.embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos
        x = x + self.attn(x, x, x, need_weights=False)[0]
        x = x + self.fc2(torch.relu(self.fc1(x)))
        return self.head(x[:, 0])


class NotTraceable(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        if x.sum() > 0:
            return x
        return -x


def _prune_and_check(model, shape=(2, 3, 8, 8), parse=None):
    model.eval()
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=parse
        or dict(type='ChannelAnalyzer', demo_input=(1, ) + tuple(shape[1:])))
    mutator.prepare_from_supernet(model)
    torch.manual_seed(1)
    mutator.set_choices(mutator.sample_choices())
    x = torch.rand(shape)
    with torch.no_grad():
        dyn = model(x)
        static = copy.deepcopy(model)
        _dynamic_to_static(static)
        out = static(x)
    assert torch.allclose(dyn, out, atol=1e-5)
    return mutator


def test_analyzer_residual_concat_split_flatten():
    model = ResCatNet()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    types = [type(m) for m in model.modules()]
    result = ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(model)
    # the analysis leaves the model untouched
    assert [type(m) for m in model.modules()] == types
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    names = set(result)
    # stem/bn/res/dw are one unit (residual add + depthwise conv)
    assert 'stem_(0, 8)_8' in names
    unit = result['stem_(0, 8)_8']
    outs = {c['name'] for c in unit['channels']['output_related']}
    ins = {c['name'] for c in unit['channels']['input_related']}
    assert {'stem', 'res', 'dw', 'bn'} <= outs
    assert {'res', 'dw', 'a', 'b'} <= ins
    # concat then chunk: the chunks are cut from the pruned tensor at
    # runtime, so `a`, `b` and `shared` (called twice, its input tied to its
    # output) can only be pruned alike in both chunks -> not prunable
    assert not any(n.startswith(('a_', 'b_', 'shared_')) for n in names)
    reasons = ' '.join(r for rej in result.report.rejected
                       for r in rej['reasons'])
    assert 'not contiguous' in reasons
    assert 'split_l_(0, 4)_4' in names and 'split_r_(0, 4)_4' in names
    # flatten into Linear: the Linear input is 16 features per channel
    fc = [
        c for c in result['split_l_(0, 4)_4']['channels']['input_related']
        if c['name'] == 'fc'
    ][0]
    assert (fc['start'], fc['end']) == (0, 64)
    assert result.report.unsupported == []
    _prune_and_check(ResCatNet())


def test_analyzer_reports_unknown_and_group_conv():
    model = Unknown()
    result = ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(model)
    report = result.report
    ops = [u['reason'] for u in report.unsupported]
    assert any('interleaves' in r for r in ops), ops
    assert report.unsupported[0]['node']
    assert 'unsupported ops' in report.format()
    # the channels before the hard-coded shuffle are kept
    assert not any(n.startswith('conv1') for n in result)
    # the group conv prunes whole groups: one unit channel per group
    # (its input and output groups are one unit)
    unit = result['conv2_(0, 8)_2']
    assert unit['init_args']['num_channels'] == 2
    assert {c['name']
            for c in unit['channels']['output_related']} == {'conv2', 'gconv'}


class GroupConvNet(nn.Module):
    """1x1 -> BN -> grouped 3x3 (widening) -> BN -> 1x1, plus a grouped
    conv on a residual stage."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, padding=1)
        self.reduce = nn.Conv2d(12, 12, 1)
        self.bn1 = nn.BatchNorm2d(12)
        self.gconv = nn.Conv2d(12, 24, 3, padding=1, groups=3)
        self.bn2 = nn.BatchNorm2d(24)
        self.expand = nn.Conv2d(24, 12, 1)
        self.head = nn.Linear(12, 5)

    def forward(self, x):
        x = self.stem(x)
        y = torch.relu(
            self.bn2(self.gconv(torch.relu(self.bn1(self.reduce(x))))))
        x = x + self.expand(y)
        return self.head(x.mean((2, 3)))


def test_analyzer_prunes_whole_groups_of_group_conv():
    result = ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(GroupConvNet())
    assert result.report.all_supported
    # the gconv input unit: 3 groups of 4 input channels; the output
    # groups of 8 channels belong to the same unit (group i in = group i
    # out)
    unit = result['reduce_(0, 12)_3']
    assert unit['init_args']['num_channels'] == 3
    ranges = {(c['name'], c['start'], c['end'], side == 'output_related')
              for side, chans in unit['channels'].items()
              for c in chans}
    assert ('gconv', 0, 12, False) in ranges
    assert ('gconv', 0, 24, True) in ranges
    assert ('expand', 0, 24, False) in ranges
    mutator = _prune_and_check(GroupConvNet())
    # prune one group of three: the static gconv keeps 2 groups
    model = GroupConvNet().eval()
    mutator = ChannelMutator(
        channel_unit_cfg=dict(type='L1MutableChannelUnit'),
        parse_cfg=dict(type='ChannelAnalyzer', demo_input=(1, 3, 8, 8)))
    mutator.prepare_from_supernet(model)
    mutator.set_choices({
        n: (2 if n == 'reduce_(0, 12)_3' else c)
        for n, c in mutator.current_choices.items()
    })
    x = torch.rand(2, 3, 8, 8)
    from mmrazor.models.task_modules.estimators import ResourceEstimator
    estimator = ResourceEstimator(input_shape=(1, 3, 8, 8))
    dyn_cost = estimator.estimate(model)
    with torch.no_grad():
        dyn = model(x)
        _dynamic_to_static(model)
        static = model(x)
    torch.testing.assert_close(dyn, static, atol=1e-5, rtol=1e-5)
    # the FLOPs counters see the pruned groups of the dynamic op
    assert estimator.estimate(model) == dyn_cost
    assert (model.gconv.groups, model.gconv.in_channels,
            model.gconv.out_channels) == (2, 8, 16)
    assert model.reduce.out_channels == 8 and model.expand.in_channels == 16


def test_analyzer_follows_channel_shuffle():
    result = ChannelAnalyzer(demo_input=(1, 3, 6, 6)).analyze(ShuffleBlock())
    assert result.report.unsupported == []
    assert result.report.dropped == []
    assert 'stem_(0, 8)_8' in result and 'branch2.0_(0, 6)_6' in result
    # the shuffle interleaves the two branches: channel i of both lands at
    # positions 2i and 2i+1 of `head`'s input, so the branches are tied
    # position by position and `head` takes 2 inputs per unit channel
    unit = result['branch1_(0, 4)_4']
    ins = [(c['name'], c['start'], c['end'])
           for c in unit['channels']['input_related']]
    outs = [(c['name'], c['start'], c['end'])
            for c in unit['channels']['output_related']]
    assert ins == [('head', 0, 8)]
    assert outs == [('branch1', 0, 4), ('branch2.3', 0, 4)]
    # pruned and exported, the outputs match the masked dynamic model
    _prune_and_check(ShuffleBlock(), shape=(2, 3, 6, 6))


def test_analyzer_prunes_layer_norm_2d():
    from mmrazor.models.architectures.dynamic_ops import DynamicLayerNorm2d
    result = ChannelAnalyzer(demo_input=(1, 3, 6, 6)).analyze(LN2dNet())
    assert result.report.unsupported == []
    assert set(result) == {'conv1_(0, 8)_8', 'conv2_(0, 6)_6'}
    outs = {
        c['name']
        for c in result['conv1_(0, 8)_8']['channels']['output_related']
    }
    assert outs == {'conv1', 'ln1'}
    model = LN2dNet()
    mutator = _prune_and_check(model, shape=(2, 3, 6, 6))
    assert isinstance(model.ln1, DynamicLayerNorm2d)
    mutator.set_choices({k: 0.5 for k in mutator.current_choices})
    static = copy.deepcopy(model)
    _dynamic_to_static(static)
    # exported back to the original classes, with the pruned channels
    assert type(static.ln1).__module__ == 'torchvision.models.convnext'
    assert type(static.ln2).__name__ == 'LayerNorm2d'
    assert static.ln1.normalized_shape == (4, ) == (
        static.conv1.out_channels, )
    assert static.ln2.normalized_shape == (3, )
    x = torch.rand(2, 3, 6, 6)
    with torch.no_grad():
        assert torch.allclose(static(x), model(x), atol=1e-5)
    assert len(mutator.units) == 2


def test_analyzer_attention_and_class_token():
    result = ChannelAnalyzer(demo_input=(1, 4, 6)).analyze(TinyViT())
    report = result.report
    # known ops: nothing unsupported, but the embedding channels are kept
    assert report.unsupported == []
    assert list(result) == ['fc1_(0, 12)_12']
    reasons = {r['unit']: ' '.join(r['reasons']) for r in report.rejected}
    assert 'cat with a tensor of unknown channels' in reasons['embed_(0, 8)_8']
    assert 'MultiheadAttention keeps its embed dims' in reasons[
        'embed_(0, 8)_8']
    _prune_and_check(TinyViT(), shape=(2, 4, 6))


def test_untraceable_model_error_names_call():
    with pytest.raises(UntraceableModelError) as e:
        ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(NotTraceable())
    msg = str(e.value)
    assert 'x.sum() > 0' in msg
    # the model's own forward: no module to make a leaf of
    assert "tracer_type='BackwardTracer'" in msg


@pytest.mark.slow
def test_analyzer_on_mmpretrain_and_torchvision():
    from mmpretrain.models import ImageClassifier
    model = ImageClassifier(
        backbone=dict(type='mmpretrain.MobileNetV2', widen_factor=0.25),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead', num_classes=3, in_channels=1280),
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))
    parse = dict(
        type='ChannelAnalyzer',
        demo_input=dict(type='DefaultDemoInput', input_shape=(1, 3, 32, 32)))
    mutator = ChannelMutator(parse_cfg=parse)
    mutator.prepare_from_supernet(model)
    assert len(mutator.mutable_units) > 10
    assert all(u.name.startswith('backbone.') for u in mutator.units)
    mutator.set_choices(mutator.sample_choices())
    model.eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        out = model(x, mode='tensor')
        static = copy.deepcopy(model)
        _dynamic_to_static(static)
        assert torch.allclose(static(x, mode='tensor'), out, atol=1e-5)

    import torchvision
    tv = torchvision.models.resnet18(num_classes=4)
    res = ChannelAnalyzer(demo_input=(1, 3, 32, 32)).analyze(tv)
    assert 'conv1_(0, 64)_64' in res and len(res) == 12
    assert res.report.prunable_share > 0.5


def test_backward_tracer_type_rejected_cleanly():
    with pytest.raises(ValueError, match='tracer_type'):
        ChannelAnalyzer(tracer_type='Nope')


def test_pseudo_losses():
    from mmengine.registry import DefaultScope
    from mmpretrain.models import ImageClassifier

    from mmrazor.registry import TASK_UTILS

    # built directly, so its sub-modules resolve in the current scope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ImageClassifier(
            backbone=dict(
                type='mmpretrain.ResNet_CIFAR',
                depth=18,
                base_channels=4,
                stem_channels=4,
                num_stages=1,
                out_indices=(0, ),
                strides=(1, ),
                dilations=(1, )),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead', num_classes=3, in_channels=4))
    loss = TASK_UTILS.build(
        dict(type='ImageClassifierPseudoLoss', input_shape=(2, 3, 8, 8)))(
            model)
    assert loss.dim() == 0 and loss.requires_grad
    loss.backward()
    assert model.backbone.conv1.weight.grad is not None
    total = TASK_UTILS.build(
        dict(type='SumPseudoLoss', input_shape=(1, 3, 8, 8)))(
            ResCatNet())
    assert total.requires_grad


class _BranchyInner(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        y = self.conv(x)
        if y.sum() > 0:  # data-dependent: not traceable by torch.fx
            return y
        return -y


class _Top(nn.Module):

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.conv1 = nn.Conv2d(8, 8, 1)
        self.conv2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.conv2(self.conv1(self.inner(x)))


def test_untraceable_error_names_the_innermost_module():
    with pytest.raises(UntraceableModelError) as e:
        ChannelAnalyzer(demo_input=(1, 3, 16,
                                    16)).analyze(_Top(_BranchyInner()))
    assert 'module `inner`' in str(e.value)
    assert "leaf_modules=['inner']" in str(e.value)
    # the suggested leaf really skips the untraceable module; its
    # channels are kept, the rest stays prunable
    units = ChannelAnalyzer(
        demo_input=(1, 3, 16, 16),
        leaf_modules=['inner']).analyze(_Top(_BranchyInner()))
    assert list(units) == ['conv1_(0, 8)_8']


class GroupNormNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.gn1 = nn.GroupNorm(4, 8)
        self.conv2 = nn.Conv2d(8, 6, 3, padding=1)
        self.gn2 = nn.GroupNorm(1, 6)  # one group: all channels together
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.gn1(self.conv1(x)))
        x = torch.relu(self.gn2(self.conv2(x)))
        return self.fc(x.mean((2, 3)))


def test_analyzer_prunes_whole_groups_of_group_norm():
    from mmrazor.models.task_modules.estimators import ResourceEstimator
    result = ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(GroupNormNet())
    unit = result['conv1_(0, 8)_4']  # 4 groups of 2 channels
    assert {c['name']
            for c in unit['channels']['output_related']} == {'conv1', 'gn1'}
    assert not any(n.startswith('conv2') for n in result)
    reasons = ' '.join(r for rej in result.report.rejected
                       for r in rej['reasons'])
    assert 'GroupNorm with one group' in reasons

    model = GroupNormNet().eval()
    mutator = ChannelMutator(
        channel_unit_cfg=dict(type='L1MutableChannelUnit'),
        parse_cfg=dict(type='ChannelAnalyzer', demo_input=(1, 3, 8, 8)))
    mutator.prepare_from_supernet(model)
    mutator.set_choices({'conv1_(0, 8)_4': 3})
    estimator = ResourceEstimator(input_shape=(1, 3, 8, 8))
    dyn_cost = estimator.estimate(model)
    x = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        dyn = model(x)
        _dynamic_to_static(model)
        static = model(x)
    torch.testing.assert_close(dyn, static, atol=1e-5, rtol=1e-5)
    assert (model.gn1.num_groups, model.gn1.num_channels) == (3, 6)
    assert model.conv1.out_channels == 6 and model.conv2.in_channels == 6
    assert estimator.estimate(model) == dyn_cost
