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


def test_untraced_method_becomes_call_method_node():
    model = Model()
    tracer = TASK_UTILS.build(
        dict(type='mmrazor.CustomTracer', skipped_methods=SKIP))
    graph = tracer.trace(model, concrete_args={'mode': 'predict'})
    nodes = [n for n in graph.nodes if n.op == 'call_method']
    assert [n.target for n in nodes if n.target == 'post'] == ['post']
    # the patch is removed after tracing
    assert Head.post is Head.__dict__['post']
    assert not UntracedMethodRegistry.method_dict.get(Head)
    gm = build_graphmodule(model, graph)
    out = gm(torch.randn(2, 1, 5, 5), ['a', 'b'], 'predict')
    assert [o['tag'] for o in out] == ['a', 'b']


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
