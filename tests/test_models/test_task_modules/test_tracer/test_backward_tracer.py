# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
from torch import nn

from mmrazor.models.mutators import ChannelMutator
from mmrazor.models.task_modules.tracer import (BackwardTracer,
                                                ChannelAnalyzer,
                                                UntraceableModelError)
from mmrazor.models.task_modules.tracer.path import (PathConcatNode,
                                                     PathConvNode,
                                                     PathDepthWiseConvNode,
                                                     PathLinearNode, PathList,
                                                     PathNormNode)
from mmrazor.registry import TASK_UTILS
from mmrazor.structures.graph import ModuleGraph
from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static


def _tracer(shape=(1, 3, 8, 8)):
    return TASK_UTILS.build(
        dict(
            type='BackwardTracer',
            loss_calculator=dict(type='SumPseudoLoss', input_shape=shape)))


class ConvBnLinear(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 2 * 2, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = nn.functional.relu(self.bn2(self.conv2(x)))
        x = nn.functional.adaptive_avg_pool2d(x, 2)
        return self.fc(torch.flatten(x, 1))


class Residual(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.conv3 = nn.Conv2d(8, 4, 1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(x + self.bn2(self.conv2(x)))
        return self.fc(self.conv3(x).mean((2, 3)))


class Concat(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.a = nn.Conv2d(8, 6, 1)
        self.b = nn.Conv2d(8, 4, 3, padding=1)
        self.head = nn.Conv2d(10, 4, 1)

    def forward(self, x):
        x = self.stem(x)
        return self.head(torch.cat([self.a(x), self.b(x)], dim=1))


class Depthwise(nn.Module):

    def __init__(self):
        super().__init__()
        self.pw1 = nn.Conv2d(3, 8, 1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.bn = nn.BatchNorm2d(8)
        self.pw2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.pw2(nn.functional.relu6(self.bn(self.dw(self.pw1(x)))))


class Shared(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.shared = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.stem(x)
        return self.head(self.shared(torch.relu(self.shared(x))))


class Untraceable(nn.Module):
    """Data-dependent control flow (FX can not trace it) and an op the
    channel analysis does not know (torch.roll along the channels)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 1)
        self.conv2 = nn.Conv2d(8, 8, 1)
        self.conv3 = nn.Conv2d(8, 4, 1)
        self.conv4 = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        x = self.conv1(x)
        if x.sum() > -1e9:
            x = torch.roll(x, 1, dims=1)
        x = self.conv3(self.conv2(x))
        return self.conv4(x)


def _names(path_list):
    return path_list.to_names()


def test_path_list_conv_bn_relu_linear():
    model = ConvBnLinear()
    model.conv1.weight.requires_grad_(False)
    model.train()
    model.bn2.eval()
    paths = _tracer().trace(model)
    assert isinstance(paths, PathList)
    assert _names(paths) == [['fc'], ['conv1'], ['conv2', 'bn1', 'conv1'],
                             ['fc', 'bn2', 'conv2']]
    assert type(paths[3][0]) is PathLinearNode
    assert type(paths[3][1]) is PathNormNode
    assert type(paths[2][0]) is PathConvNode
    assert paths[2][0].module is model.conv2
    # the model state is restored and no gradient is left behind
    assert model.training and model.bn1.training
    assert not model.bn2.training
    assert not model.conv1.weight.requires_grad
    assert model.conv2.weight.requires_grad
    assert all(p.grad is None for p in model.parameters())


def test_path_list_residual_concat_depthwise_shared():
    assert _names(_tracer().trace(Residual())) == [['fc'], ['conv1'],
                                                   ['conv2', 'bn1', 'conv1'],
                                                   ['conv3', 'bn1', 'conv1'],
                                                   ['conv3', 'bn2', 'conv2'],
                                                   ['fc', 'conv3']]

    paths = _tracer().trace(Concat())
    # output path, then the input paths of stem, a, b and head
    assert _names(paths)[:4] == [['head'], ['stem'], ['a', 'stem'],
                                 ['b', 'stem']]
    assert len(paths) == 5 and len(paths[4]) == 2
    cat = paths[4][1]
    assert isinstance(cat, PathConcatNode) and cat.dim == 1
    assert [pl.to_names() for pl in cat.path_lists] == [[['a']], [['b']]]

    paths = _tracer().trace(Depthwise())
    assert _names(paths) == [['pw2'], ['pw1'], ['pw2', 'bn', 'dw', 'pw1']]
    assert type(paths[2][2]) is PathDepthWiseConvNode

    paths = _tracer().trace(Shared())
    # a shared module appears once per call
    assert _names(paths) == [['head'], ['stem'], ['shared', 'stem'],
                             ['shared', 'shared'], ['head', 'shared']]


def test_module_graph_and_units_from_backward_tracer():
    model = ConvBnLinear()
    graph = ModuleGraph.init_from_backward_tracer(model, _tracer())
    ops = {n.name: n for n in graph}
    assert ops['conv1'].op == 'call_module' and \
        ops['conv1'].module is model.conv1
    assert ops['input'].op == 'placeholder'
    assert tuple(ops['fc'].value.shape) == (1, 5)
    assert list(graph)[-1].op == 'output'
    # topological: every input op comes first
    order = {n.name: i for i, n in enumerate(graph)}
    assert all(order[p.name] < order[n.name] for n in graph
               for p in n.prev_nodes)

    result = ChannelAnalyzer(
        demo_input=(1, 3, 8, 8), tracer_type='BackwardTracer').analyze(model)
    assert set(result) == {'conv1_(0, 8)_8', 'conv2_(0, 16)_16'}
    # flatten into Linear: 4 features per channel
    fc = result['conv2_(0, 16)_16']['channels']['input_related']
    assert dict(name='fc', start=0, end=64, is_output_channel=False) in fc
    assert result.report.unsupported == []


def test_shared_module_units():
    result = ChannelAnalyzer(
        demo_input=(1, 3, 8, 8),
        tracer_type='BackwardTracer').analyze(Shared())
    # the input and output of `shared` are tied (it is called twice), so
    # stem and shared form one unit
    assert list(result) == ['stem_(0, 8)_8']
    outs = {
        c['name']
        for c in result['stem_(0, 8)_8']['channels']['output_related']
    }
    assert outs == {'stem', 'shared'}


def test_untraceable_by_fx_and_unknown_op_reported():
    analyzer = ChannelAnalyzer(
        demo_input=(1, 3, 4, 4), tracer_type='BackwardTracer')
    result = analyzer.analyze(Untraceable())
    unsupported = result.report.unsupported
    assert [u['op'] for u in unsupported] == ['call_function:RollBackward0']
    assert 'RollBackward0' in result.report.format()
    # the rolled channels (conv1 out) are kept, the others are found
    assert set(result) == {'conv2_(0, 8)_8', 'conv3_(0, 4)_4'}
    # FX can not trace the data-dependent branch
    with pytest.raises(UntraceableModelError):
        ChannelAnalyzer(demo_input=(1, 3, 4, 4)).analyze(Untraceable())


class LayerNorm2d(nn.LayerNorm):
    """A LayerNorm subclass (an FX leaf) recording several autograd ops."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        return super().forward(x).permute(0, 3, 1, 2)


class Block(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        return self.conv(x) * 2


class LeafNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 1)
        self.norm = LayerNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 1)
        self.block = Block()
        self.conv3 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.conv2(self.norm(self.conv1(x)))
        return self.conv3(self.block(x))


def test_leaf_modules_are_one_op_as_in_fx():
    model = LeafNet()
    graph = ModuleGraph.init_from_backward_tracer(model, _tracer())
    calls = [n.target for n in graph if n.op == 'call_module']
    # the permutes inside the LayerNorm subclass are part of its op
    assert calls == ['conv1', 'norm', 'conv2', 'block.conv', 'conv3']
    assert not any(n.target == 'permute' for n in graph)
    reports = {}
    for tracer_type in ('FxTracer', 'BackwardTracer'):
        result = ChannelAnalyzer(
            demo_input=(1, 3, 4, 4),
            tracer_type=tracer_type,
            leaf_modules=['Block']).analyze(model)
        reports[tracer_type] = [(u['module'], u['reason'])
                                for u in result.report.unsupported]
        assert set(result) == set(), tracer_type
    assert reports['FxTracer'] == reports['BackwardTracer']
    assert [m for m, _ in reports['FxTracer']] == ['norm', 'block']


class InPlaceInput(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 1)
        self.conv2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x.mul_(2)  # in place on the input: it can not become a grad leaf
        return self.conv2(torch.relu(self.conv1(x)))


def test_inplace_on_input_and_no_fake_mode():
    for fake_mode in (True, False):
        tracer = BackwardTracer(
            dict(type='SumPseudoLoss', input_shape=(1, 3, 4, 4)),
            fake_mode=fake_mode)
        ops = tracer.trace_ops(InPlaceInput())
        assert [op.target for op in ops if op.op == 'call_module'] == \
            ['conv1', 'conv2']
        assert not any(op.op == 'placeholder' for op in ops)
    result = ChannelAnalyzer(
        demo_input=(1, 3, 4, 4),
        tracer_type='BackwardTracer').analyze(InPlaceInput())
    assert list(result) == ['conv1_(0, 8)_8']


def test_loss_without_parameters_raises():
    tracer = BackwardTracer(lambda model: torch.ones(1).sum())
    with pytest.raises(RuntimeError, match='does not depend'):
        tracer.trace(ConvBnLinear())
    with pytest.raises(TypeError, match='loss_calculator'):
        BackwardTracer(3)


def _groups(result):
    return {
        name: (cfg['init_args']['num_channels'],
               sorted((c['name'], c['start'], c['end'], c['is_output_channel'])
                      for k in ('input_related', 'output_related')
                      for c in cfg['channels'][k]))
        for name, cfg in result.items()
    }


def _cifar_classifier():
    from mmengine.registry import DefaultScope
    from mmpretrain.models import ImageClassifier
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return ImageClassifier(
            backbone=dict(
                type='mmpretrain.ResNet_CIFAR',
                depth=18,
                base_channels=8,
                stem_channels=8,
                num_stages=2,
                out_indices=(1, ),
                strides=(1, 2),
                dilations=(1, 1)),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead', num_classes=3,
                in_channels=16),
            data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))


def _retinanet():
    from mmdet.registry import MODELS as DET_MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    anchor = dict(
        type='AnchorGenerator',
        octave_base_scale=4,
        scales_per_octave=3,
        ratios=[0.5, 1.0, 2.0],
        strides=[8, 16, 32, 64])
    with DefaultScope.overwrite_default_scope('mmdet'):
        return DET_MODELS.build(
            dict(
                type='RetinaNet',
                data_preprocessor=dict(
                    type='DetDataPreprocessor', pad_size_divisor=32),
                backbone=dict(
                    type='ResNet',
                    depth=18,
                    out_indices=(1, 2, 3),
                    norm_eval=True),
                neck=dict(
                    type='FPN',
                    in_channels=[128, 256, 512],
                    out_channels=16,
                    add_extra_convs='on_input',
                    num_outs=4),
                bbox_head=dict(
                    type='RetinaHead',
                    num_classes=3,
                    in_channels=16,
                    stacked_convs=1,
                    feat_channels=16,
                    anchor_generator=anchor,
                    bbox_coder=dict(type='DeltaXYWHBBoxCoder')),
                test_cfg=dict(
                    nms_pre=10,
                    score_thr=0.05,
                    nms=dict(type='nms', iou_threshold=0.5),
                    max_per_img=10)))


@pytest.mark.slow
@pytest.mark.parametrize('name',
                         ['resnet18', 'mobilenet_v2', 'cifar', 'retinanet'])
def test_same_units_as_fx(name):
    if name == 'cifar':
        model = _cifar_classifier()
        demo = dict(type='DefaultDemoInput', input_shape=(1, 3, 16, 16))
    elif name == 'retinanet':
        # an mm detector through its demo input (inputs + data samples)
        model = _retinanet()
        demo = dict(
            type='mmrazor.DefaultDemoInput', input_shape=(1, 3, 64, 64))
    else:
        import torchvision
        model = getattr(torchvision.models, name)(num_classes=4)
        demo = (1, 3, 32, 32)
    results = {}
    for tracer_type in ('FxTracer', 'BackwardTracer'):
        analyzer = ChannelAnalyzer(
            demo_input=demo, tracer_type=tracer_type, check_forward=False)
        results[tracer_type] = analyzer.analyze(model)
        assert results[tracer_type].report.unsupported == []
    fx, bw = results['FxTracer'], results['BackwardTracer']
    assert len(fx) > 5
    assert _groups(fx) == _groups(bw)
    assert [r['unit'] for r in fx.report.rejected] == \
        [r['unit'] for r in bw.report.rejected]


@pytest.mark.slow
def test_channel_mutator_backward_tracer_parse_cfg(monkeypatch):
    calls = []
    orig = ModuleGraph.init_from_backward_tracer.__func__

    def spy(cls, model, tracer):
        calls.append(type(tracer.loss_calculator).__name__)
        return orig(cls, model, tracer)

    monkeypatch.setattr(ModuleGraph, 'init_from_backward_tracer',
                        classmethod(spy))
    model = _cifar_classifier()
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(
            type='BackwardTracer',
            loss_calculator=dict(
                type='ImageClassifierPseudoLoss', input_shape=(2, 3, 16, 16))))
    mutator.prepare_from_supernet(model)
    assert calls == ['ImageClassifierPseudoLoss']
    assert len(mutator.mutable_units) >= 3
    assert all(u.name.startswith('backbone.') for u in mutator.units)
    torch.manual_seed(0)
    mutator.set_choices({u.name: 0.5 for u in mutator.mutable_units})
    model.eval()
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        out = model(x, mode='tensor')
        static = copy.deepcopy(model)
        _dynamic_to_static(static)
        assert torch.allclose(static(x, mode='tensor'), out, atol=1e-5)
    conv1 = static.backbone.conv1
    assert conv1.out_channels == 4
