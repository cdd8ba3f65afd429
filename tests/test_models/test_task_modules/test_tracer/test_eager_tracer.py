# Copyright (c) OpenMMLab. All rights reserved.
"""The eager tracer gives the channel analysis the same units and report
as the torch.fx path, and falls back to it (reported) where it can not
represent a model."""
import pytest
import torch
from torch import nn

from mmrazor.models.task_modules.tracer import (ChannelAnalyzer,
                                                UntraceableModelError)
from mmrazor.models.task_modules.tracer.eager_tracer import (EagerTraceError,
                                                             EagerTracer)
from mmrazor.structures.graph.module_graph import ModuleNode


class ShuffleCat(nn.Module):
    """Two branches, a concat and a channel shuffle whose group width
    comes from the tensor size (``literal``: every size is a literal)."""

    def __init__(self, literal: bool = False):
        super().__init__()
        self.literal = literal
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.left = nn.Conv2d(8, 4, 1)
        self.right = nn.Sequential(
            nn.Conv2d(8, 6, 1), nn.BatchNorm2d(6), nn.ReLU(inplace=True),
            nn.Conv2d(6, 4, 1))
        self.head = nn.Conv2d(8, 5, 1)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.left(x), self.right(x)], dim=1)
        b, c, h, w = x.size()
        if self.literal:
            x = x.view(1, 2, 4, 6, 6)
        else:
            x = x.view(b, 2, c // 2, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        return self.head(x.view(b, -1, h, w))


class FlattenHead(nn.Module):
    """A Linear after a flatten of the feature map (no pooling)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 4, 3, stride=2, padding=1)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv1(x)))
        x = self.conv2(x) + 1
        return self.fc(x.flatten(1))


class TinyViT(nn.Module):
    """Class token and position embedding (parameters used outside
    leaves), attention and an MLP."""

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


def _mmpretrain(backbone, in_channels):
    from mmpretrain.models import ImageClassifier
    return ImageClassifier(
        backbone=backbone,
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=10,
            in_channels=in_channels))


MODELS = {
    'resnet18':
    lambda: _mmpretrain(
        dict(type='mmpretrain.ResNet', depth=18, base_channels=8), 64),
    'mobilenet_v2':
    lambda: _mmpretrain(
        dict(type='mmpretrain.MobileNetV2', widen_factor=0.25), 1280),
    # torchvision's (mmpretrain's asserts on a size: FX can not trace it)
    'shufflenet_v2':
    lambda: __import__('torchvision').models.shufflenet_v2_x0_5(num_classes=10
                                                                ),
    'shuffle_cat':
    ShuffleCat,
    'shuffle_cat_literal':
    lambda: ShuffleCat(literal=True),
    'flatten_head':
    FlattenHead,
    'tiny_vit':
    TinyViT,
}
SHAPES = {
    'flatten_head': (1, 3, 6, 6),
    'tiny_vit': (1, 4, 6),
    'shuffle_cat': (1, 3, 6, 6),
    'shuffle_cat_literal': (1, 3, 6, 6)
}


def _report(result):
    report = result.report.to_dict()
    report.pop('time')
    return report


@pytest.mark.parametrize('name', list(MODELS))
def test_same_units_and_report_as_fx(name):
    shape = SHAPES.get(name, (1, 3, 32, 32))
    model = MODELS[name]().eval()
    eager = ChannelAnalyzer(demo_input=shape).analyze(model)
    fx = ChannelAnalyzer(demo_input=shape, symbolic_trace=True).analyze(model)
    assert len(eager) > 0
    assert eager == fx
    assert _report(eager) == _report(fx)
    # no fallback: the eager graph was used
    assert not any('eager tracer' in n for n in eager.report.notes)


def test_size_derived_view_arguments_stay_nodes():
    model = ShuffleCat().eval()
    graph, out = EagerTracer().trace(model, torch.rand(1, 3, 6, 6))
    assert out.shape == (1, 5, 6, 6)
    views = [n for n in graph if n.op == 'call_method' and n.target == 'view']
    split, merge = views
    # b, c // 2, h, w came from x.size(): nodes; the group count is 2
    assert split.args[2] == 2
    assert all(isinstance(a, ModuleNode) for a in split.args[3:])
    assert isinstance(merge.args[1], ModuleNode) and merge.args[2] == -1
    # FX-like names and kinds, module paths of the leaves
    assert [n.name for n in graph if n.op == 'call_module'][:2] == \
        ['stem', 'left']
    assert graph.nodes['cat'].op == 'call_function'
    # the literal shuffle is not followed (unknown group order)
    literal = ChannelAnalyzer(demo_input=(1, 3, 6, 6)).analyze(
        ShuffleCat(literal=True).eval())
    assert any('interleaves' in u['reason']
               for u in literal.report.unsupported)
    derived = ChannelAnalyzer(demo_input=(1, 3, 6,
                                          6)).analyze(ShuffleCat().eval())
    assert derived.report.unsupported == []
    assert len(derived) > len(literal)


class OwnCall(nn.Module):
    """A module class with its own ``__call__``: its calls can not be
    intercepted per instance."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def __call__(self, x):
        return super().__call__(x)

    def forward(self, x):
        return torch.relu(self.conv(x))


class WithOwnCall(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 1)
        self.inner = OwnCall()
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(self.inner(self.stem(x)))


def test_fallback_to_fx_is_reported():
    model = WithOwnCall().eval()
    with pytest.raises(EagerTraceError, match='own __call__'):
        EagerTracer().trace(model, torch.rand(1, 3, 4, 4))
    result = ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(model)
    notes = ' '.join(result.report.notes)
    assert 'eager tracer can not represent' in notes
    assert 'own __call__' in notes and 'traced with torch.fx' in notes
    fx = ChannelAnalyzer(
        demo_input=(1, 3, 4, 4), symbolic_trace=True).analyze(model)
    assert result == fx and len(result) == 2
    assert fx.report.notes == []
    # FX-only options take the FX path, and say so
    wrapped = ChannelAnalyzer(
        demo_input=(1, 3, 6, 6),
        autowrap_functions=[
            'torch.nn.functional.relu'
        ]).analyze(ShuffleCat().eval() if False else FlattenHead().eval(
        ) if False else WithOwnCall().eval())
    assert any('autowrap_functions' in n for n in wrapped.report.notes)


class DataDependent(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        try:
            # a model's own broad except does not swallow the stop
            flag = bool(x.mean() > 0)
        except Exception:  # noqa: BLE001
            flag = False
        return x if flag else -x


def test_value_dependent_control_flow_goes_to_fx():
    model = DataDependent().eval()
    with pytest.raises(EagerTraceError, match='__bool__'):
        EagerTracer().trace(model, torch.rand(1, 3, 4, 4))
    classes = [type(m) for m in model.modules()]
    # the model's classes are restored after the stopped trace
    assert [type(m) for m in model.modules()] == classes
    # FX's own error is caught by the model here: it traces the except
    # branch; the fallback is in the report
    result = ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(model)
    assert any('`__bool__` of a traced tensor' in n
               for n in result.report.notes)
    # without the model's except, FX refuses it too, naming the line
    with pytest.raises(UntraceableModelError, match='x.sum'):
        ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(Branchy().eval())


class Branchy(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        if x.sum() > 0:
            return x
        return -x


def test_eager_traces_what_fx_can_not():
    """mmpretrain's ShuffleNetV2 asserts on a size and splits the channels
    at a computed position: FX stops at the assert; the eager trace
    analyses it, keeping the channels of the computed splits."""
    model = _mmpretrain(
        dict(type='mmpretrain.ShuffleNetV2', widen_factor=0.5), 1024).eval()
    with pytest.raises(UntraceableModelError, match='assert'):
        ChannelAnalyzer(
            demo_input=(1, 3, 32, 32), symbolic_trace=True).analyze(model)
    result = ChannelAnalyzer(demo_input=(1, 3, 32, 32)).analyze(model)
    report = result.report
    assert report.notes == [] and report.dropped == []
    assert {u['reason'] for u in report.unsupported} == \
        {'slicing the channel dim at a computed position'}
    # the stem, every block's inner branch conv and the last conv stay
    # prunable
    assert len(result) == 18
    assert {
        'backbone.conv1.conv_(0, 24)_24',
        'backbone.layers.1.7.branch2.0.conv_(0, 48)_48',
        'backbone.layers.3.conv_(0, 1024)_1024'
    } <= set(result)


class TwoInputs(nn.Module):

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 4, 1)

    def forward(self, xs):
        return self.a(xs[0]) + self.b(xs[1])


def test_list_input_items_are_getitem_nodes():
    graph, out = EagerTracer().trace(
        TwoInputs(), [torch.rand(1, 3, 4, 4),
                      torch.rand(1, 3, 4, 4)])
    assert out.shape == (1, 4, 4, 4)
    ops = [(n.name, n.op) for n in graph]
    assert ops[:3] == [('xs', 'placeholder'), ('getitem', 'call_function'),
                       ('getitem_1', 'call_function')]
    add = graph.nodes['add']
    assert [a.name for a in add.args] == ['a', 'b']
    assert [p.name for p in graph.nodes['a'].prev_nodes] == ['getitem']
