# Copyright (c) OpenMMLab. All rights reserved.
"""FxTracer traces by swapping module instance classes, not nn.Module."""
import pytest
import torch
import torch.fx as fx
from torch import nn

from mmrazor.models.task_modules.tracer import UntraceableModelError
from mmrazor.models.task_modules.tracer.fx import FxTracer
from mmrazor.models.task_modules.tracer.fx.fx_tracer import \
    trace_to_traced_module
from mmrazor.models.task_modules.tracer.fx.instance_patching import \
    trace_patching_instances


class Block(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.scale = nn.Parameter(torch.ones(1, 4, 1, 1))
        self.register_buffer('offset', torch.zeros(1, 4, 1, 1))

    def forward(self, x):
        # a parameter and a buffer used directly: get_attr nodes
        return torch.relu(self.bn(self.conv(x))) * self.scale + self.offset


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 1)
        self.blocks = nn.Sequential(Block(), Block())
        self.shared = self.blocks[0].bn  # a module reachable twice

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.shared(x).flatten(1).sum(1)


def _classes(model):
    return [type(m) for m in model.modules()]


def test_same_graph_as_torch_and_classes_restored():
    model = Net().eval()
    classes = _classes(model)
    graph = trace_patching_instances(FxTracer(), model)
    assert graph is not None
    reference = fx.Tracer.trace(FxTracer(), model)
    assert str(graph) == str(reference)
    assert [n.meta.get('nn_module_stack') for n in graph.nodes] == \
        [n.meta.get('nn_module_stack') for n in reference.nodes]
    assert _classes(model) == classes
    # nn.Module itself was never patched
    assert nn.Module.__call__ is fx._symbolic_trace._orig_module_call
    gm = fx.GraphModule(model, graph)
    x = torch.rand(2, 3, 5, 5)
    torch.testing.assert_close(gm(x), model(x))


class OwnCall(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def __call__(self, x):  # a class with its own __call__
        return super().__call__(x) + 1

    def forward(self, x):
        return self.conv(x)


def test_classes_with_their_own_call_use_the_plain_trace():
    model = nn.Sequential(OwnCall(), nn.Conv2d(3, 2, 1)).eval()
    assert trace_patching_instances(FxTracer(), model) is None
    graph = FxTracer().trace(model)  # falls back to Tracer.trace
    assert str(graph) == str(fx.Tracer.trace(FxTracer(), model))


class Untraceable(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        x = self.conv(x)
        if x.sum() > 0:  # data-dependent control flow
            return x
        return -x


def test_classes_restored_when_the_trace_fails():
    model = nn.Sequential(nn.Conv2d(3, 3, 1), Untraceable()).eval()
    classes = _classes(model)
    with pytest.raises(UntraceableModelError, match='`1`'):
        trace_to_traced_module(model, FxTracer())
    assert _classes(model) == classes
    model(torch.rand(1, 3, 2, 2))  # still a working model
