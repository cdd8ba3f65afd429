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
        x = x.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)
        x = self.gconv(self.conv2(x))
        return self.conv3(x)


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
    # channel shuffle and group conv keep their channels
    assert not any(n.startswith('conv1') for n in result)
    assert not any(
        n.startswith('conv2') or n.startswith('gconv') for n in result)
    rejected = ' '.join(r for rej in report.rejected for r in rej['reasons'])
    assert 'group conv' in rejected


def test_untraceable_model_error_names_call():
    with pytest.raises(UntraceableModelError) as e:
        ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(NotTraceable())
    msg = str(e.value)
    assert 'x.sum() > 0' in msg
    assert 'leaf_modules' in msg


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
