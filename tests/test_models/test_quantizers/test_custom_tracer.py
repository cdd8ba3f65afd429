# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
import torch.nn as nn

from mmrazor.models.task_modules.tracer import (CustomTracer,
                                                UntracedMethodRegistry,
                                                build_graphmodule,
                                                custom_symbolic_trace)
from mmrazor.models.task_modules.tracer.fx import (
    del_fakequant_after_module, del_fakequant_before_function,
    del_fakequant_before_op)
from mmrazor.registry import TASK_UTILS


class Head(nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)

    def post(self, logits, samples):
        # Python over data samples: not traceable
        return [dict(score=logits[i], tag=s) for i, s in enumerate(samples)]

    def predict(self, x, samples):
        return self.post(self(x), samples)


class Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.head = Head()

    def forward(self, x, samples=None, mode='tensor'):
        x = self.relu(self.conv(x))
        x = self.relu(x + 1)  # re-used stateless module
        x = x.mean((2, 3))
        if mode == 'tensor':
            return self.head(x)
        return self.head.predict(x, samples)


SKIP = [f'{__name__}.Head.post']


def test_untraced_method_becomes_one_node():
    from mmrazor.models.task_modules.tracer.fx import SkippedMethodCall
    model = Model()
    tracer = TASK_UTILS.build(
        dict(type='mmrazor.CustomTracer', skipped_methods=SKIP))
    graph = tracer.trace(model, concrete_args={'mode': 'predict'})
    calls = [
        n.target for n in graph.nodes
        if isinstance(n.target, SkippedMethodCall)
    ]
    assert [c.path for c in calls] == SKIP
    assert calls[0].owner is model.head
    # the patch is removed after tracing
    assert Head.post is Head.__dict__['post']
    assert not UntracedMethodRegistry.method_dict.get(Head)
    gm = build_graphmodule(model, graph)
    # the owner is not part of the graph module's hierarchy
    assert not hasattr(gm, 'head') or gm.head is not model.head
    out = gm(torch.randn(2, 1, 5, 5), ['a', 'b'], 'predict')
    assert [o['tag'] for o in out] == ['a', 'b']


def test_prepare_leaves_the_float_model_untouched():
    from mmrazor.models.quantizers import TorchNativeQuantizer
    quantizer = TorchNativeQuantizer(
        global_qconfig=dict(
            w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
            a_observer=dict(type='mmrazor.MinMaxObserver'),
            w_fake_quant=dict(type='mmrazor.FakeQuantize'),
            a_fake_quant=dict(type='mmrazor.FakeQuantize'),
            w_qscheme=dict(qdtype='qint8', bit=8, is_symmetry=True),
            a_qscheme=dict(qdtype='quint8', bit=8, is_symmetry=True)),
        tracer=dict(type='mmrazor.CustomTracer', skipped_methods=SKIP))
    model = Model()
    prepared = quantizer.prepare(model, {'mode': 'predict'})
    assert type(model.head.fc) is nn.Linear
    assert type(model.conv) is nn.Conv2d
    assert hasattr(prepared.head.fc, 'weight_fake_quant')
    assert prepared.head.fc.weight is model.head.fc.weight


def test_without_skip_tracing_fails():
    with pytest.raises(Exception):
        CustomTracer().trace(Model(), concrete_args={'mode': 'predict'})


def test_reused_module_is_duplicated_and_model_untouched():
    model = Model()
    gm = custom_symbolic_trace(model, {'mode': 'tensor'})
    targets = [n.target for n in gm.graph.nodes if n.op == 'call_module']
    assert targets.count('relu') == 1 and 'relu_1' in targets
    assert not hasattr(model, 'relu_1')
    assert gm.conv is model.conv  # parameters shared
    x = torch.randn(2, 1, 5, 5)
    assert torch.allclose(gm(x), model(x))


def test_bad_skipped_method():
    with pytest.raises(ValueError, match='pkg.Class.method'):
        CustomTracer(skipped_methods=['nothing'])
    with pytest.raises(ValueError, match='has no method'):
        CustomTracer(skipped_methods=[f'{__name__}.Head.nope'])


def test_skipped_module_classes_are_leaves():
    tracer = CustomTracer(skipped_module_classes=[f'{__name__}.Head'])
    graph = tracer.trace(Model(), concrete_args={'mode': 'tensor'})
    assert 'head' in [n.target for n in graph.nodes if n.op == 'call_module']


def test_del_fakequant_utils():
    from mmrazor.models.quantizers import TorchNativeQuantizer
    from mmrazor.testing import ConvBNReLU
    quantizer = TorchNativeQuantizer(
        global_qconfig=dict(
            w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
            a_observer=dict(type='mmrazor.MinMaxObserver'),
            w_fake_quant=dict(type='mmrazor.FakeQuantize'),
            a_fake_quant=dict(type='mmrazor.FakeQuantize'),
            w_qscheme=dict(qdtype='qint8', bit=8, is_symmetry=True),
            a_qscheme=dict(qdtype='quint8', bit=8, is_symmetry=True)))

    def count(gm):
        return sum(
            1 for n in gm.graph.nodes
            if n.op == 'call_module' and 'activation_post_process' in n.target)

    prepared = quantizer.prepare(ConvBNReLU(3, 4))
    n0 = count(prepared)
    # flatten shares its input observer: one fake-quant feeds it
    prepared = del_fakequant_before_function(prepared, torch.flatten)
    assert count(prepared) == n0 - 1
    prepared = del_fakequant_before_op(prepared, 'output')
    assert count(prepared) == n0 - 2
    names = {n.target for n in prepared.graph.nodes}
    assert all(
        hasattr(prepared, t) for t in names
        if 'activation_post_process' in str(t))
    prepared2 = quantizer.prepare(ConvBNReLU(3, 4))
    from mmrazor.structures.quantization.torch_ao import nniqat
    prepared2 = del_fakequant_after_module(prepared2, nniqat.ConvBnReLU2d)
    assert count(prepared2) == n0 - 2
    out = prepared2(torch.randn(1, 3, 6, 6))
    assert out.shape == (1, 4 * 4 * 4)


class Opaque:
    """A non-FX-representable argument."""

    def __init__(self, scale):
        self.scale = scale


class ReuseHead(nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)

    def predict(self, x, samples, cfg=None):
        # data-sample handling before and after the tensor part
        tags = [s.upper() for s in samples]
        out = self(x) * cfg.scale
        return [dict(score=out[i], tag=t) for i, t in enumerate(tags)]


class RootModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.head = ReuseHead()
        self.cfg = Opaque(2.0)

    def forward(self, x, samples=None, mode='tensor'):
        x = self.conv(x).mean((2, 3))
        if mode == 'tensor':
            return self.head(x)
        preds = self.head.predict(x, samples, cfg=self.cfg)
        return self.attach(samples, preds)

    def attach(self, samples, preds):
        # a root-module method over data samples
        return [(s, p) for s, p in zip(samples, preds)]


ROOT_SKIP = [f'{__name__}.ReuseHead.predict', f'{__name__}.RootModel.attach']


def test_root_method_and_forward_reuse():
    from mmrazor.models.task_modules.tracer.fx import SkippedMethodCall
    model = RootModel().eval()
    x, samples = torch.randn(2, 1, 5, 5), ['a', 'b']
    expected = model(x, samples, 'predict')
    gm = custom_symbolic_trace(model, {'mode': 'predict'},
                               CustomTracer(skipped_methods=ROOT_SKIP))
    targets = [n.target for n in gm.graph.nodes]
    calls = [t for t in targets if isinstance(t, SkippedMethodCall)]
    assert [c.path for c in calls] == ROOT_SKIP
    # the forward called by the untraced predict is traced (head.fc node)
    assert 'head.fc' in targets
    assert calls[0].forward_params == (('x', ), )
    assert calls[1].owner is model  # root method: owner bound
    count = []
    handle = model.head.fc.register_forward_hook(lambda *a: count.append(1))
    out = gm(x, samples, 'predict')
    handle.remove()
    assert len(count) == 1  # predict reused the graph's forward result
    assert [s for s, _ in out] == samples
    for (_, p), (_, e) in zip(out, expected):
        assert p['tag'] == e['tag']
        assert torch.allclose(p['score'], e['score'])
    # a forward on other tensors inside the method runs the module itself
    from mmrazor.models.task_modules.tracer.fx.untraced_call import \
        reuse_forward
    other = torch.randn(2, 4)
    with reuse_forward(model.head, [((x, ), 'cached')]):
        assert model.head(x) == 'cached'
        assert torch.allclose(model.head(other), model.head.fc(other))
    assert 'forward' not in model.head.__dict__


def test_untraceable_call_error_names_the_entry():
    from mmrazor.models.task_modules.tracer.fx import UntraceableCallError
    with pytest.raises(UntraceableCallError) as info:
        CustomTracer(skipped_methods=ROOT_SKIP[:1]).trace(
            RootModel(), concrete_args={'mode': 'predict'})
    msg = str(info.value)
    assert 'RootModel.attach' in msg
    assert f"add '{__name__}.RootModel.attach' to " \
        'quantizer.tracer.skipped_methods' in msg
    with pytest.raises(UntraceableCallError) as info:
        CustomTracer(skipped_methods=ROOT_SKIP[1:]).trace(
            RootModel(), concrete_args={'mode': 'predict'})
    assert f"'{__name__}.ReuseHead.predict'" in str(info.value)


class WithStatic:

    @staticmethod
    def helper(x):
        return x


def test_skipped_static_method_rejected():
    with pytest.raises(ValueError, match='plain methods'):
        CustomTracer(skipped_methods=[f'{__name__}.WithStatic.helper'])


class CallsForward(nn.Module):

    def a(self, x, samples):
        return self(x), self.forward(x, samples)

    def b(self, x):
        x = x + 1  # re-assigned: the forward result cannot be reused
        return self(x)

    def c(self, x):
        return self(x * 2)  # not a bare parameter


def test_self_forward_calls():
    from mmrazor.models.task_modules.tracer.fx.untraced_call import \
        self_forward_calls
    assert self_forward_calls(CallsForward.a) == (('x', ), ('x', 'samples'))
    assert self_forward_calls(CallsForward.b) == ()
    assert self_forward_calls(CallsForward.c) == ()
    assert self_forward_calls(len) == ()  # no source
