# Copyright (c) OpenMMLab. All rights reserved.
import copy
import doctest
import importlib

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.models.mutables import (DiffChoiceRoute, DiffMutableModule,
                                     DiffMutableOP, GumbelChoiceRoute)
from mmrazor.registry import MODELS


def _ops():
    torch.manual_seed(0)
    return nn.ModuleDict({
        'conv3x3': nn.Conv2d(4, 4, 3, 1, 1),
        'conv5x5': nn.Conv2d(4, 4, 5, 1, 2),
        'identity': nn.Identity(),
    })


@pytest.mark.parametrize('module', [
    'mmrazor.models.mutables.mutable_module.diff_mutable_module',
    'mmrazor.models.mutators.module_mutator.diff_module_mutator',
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_diff_mutable_op_weighted_sum_and_grad():
    ops = _ops()
    op = DiffMutableOP(ops)
    assert isinstance(op, DiffMutableModule) and op.num_choices == 3
    x = torch.randn(2, 4, 8, 8)
    arch_param = nn.Parameter(torch.tensor([0.2, -0.5, 1.0]))
    out = op(x, arch_param)
    w = torch.exp(arch_param.detach())
    w = w / w.sum()
    manual = w[0] * ops['conv3x3'](x) + w[1] * ops['conv5x5'](x) + w[2] * x
    assert torch.allclose(out, manual, atol=1e-6)
    out.sum().backward()
    assert arch_param.grad is not None and arch_param.grad.abs().sum() > 0
    # without arch_param: forward_all (sum of the candidates)
    all_out = op(x)
    assert torch.allclose(all_out, ops['conv3x3'](x) + ops['conv5x5'](x) + x)
    with pytest.raises(ValueError, match='3 choices'):
        op(x, nn.Parameter(torch.zeros(2)))


def test_diff_mutable_op_argmax_fix_and_dump():
    op = DiffMutableOP(_ops())
    assert op.sample_choice(torch.tensor([0.1, 0.7, 0.3])) == 'conv5x5'
    op.current_choice = 'conv5x5'
    dumped = op.dump_chosen()
    assert dumped.chosen == ['conv5x5']
    assert dumped.meta['all_choices'] == ['conv3x3', 'conv5x5', 'identity']
    x = torch.randn(1, 4, 8, 8)
    expected = op._candidates['conv5x5'](x)
    op.fix_chosen(['conv5x5'])
    assert op.is_fixed and op.choices == ['conv5x5']
    # fixed: the chosen op whatever the arch param
    assert torch.allclose(op(x, nn.Parameter(torch.zeros(3))), expected)
    assert op.sample_choice(torch.tensor([1., 0., 0.])) == 'conv5x5'
    with pytest.raises(AttributeError, match='fixed'):
        op.fix_chosen('conv3x3')
    # several chosen ops are summed (DARTS subnet lists)
    op2 = DiffMutableOP(_ops())
    op2.fix_chosen(['conv3x3', 'identity'])
    assert torch.allclose(op2(x), op2._candidates['conv3x3'](x) + x)
    with pytest.raises(KeyError, match='not in the candidates'):
        DiffMutableOP(_ops()).fix_chosen('conv9x9')


def test_diff_mutable_op_fix_threshold():
    x = torch.randn(1, 4, 4, 4)
    op = DiffMutableOP(_ops(), fix_threshold=0.3)
    # probs 0.33/0.33/0.33: no auto fix
    op(x, nn.Parameter(torch.zeros(3)))
    assert not op.is_fixed
    # softmax([0, 0, 2]) = [0.107, 0.107, 0.787]: top1 - top2 >= 0.3
    out = op(x, nn.Parameter(torch.tensor([0., 0., 2.])))
    assert op.is_fixed and op.choices == ['identity']
    assert torch.equal(out, x)
    # the default (1.0) only fixes when one op has all the probability
    op = DiffMutableOP(_ops())
    op(x, nn.Parameter(torch.tensor([0., 0., 2.])))
    assert not op.is_fixed
    with pytest.raises(ValueError, match='fix_threshold'):
        DiffMutableOP(_ops(), fix_threshold=1.5)


def test_diff_mutable_op_from_cfg_and_set_forward_args():
    op = MODELS.build(
        dict(
            type='DiffMutableOP',
            candidates=dict(
                a=dict(type='torch.nn.ReLU'), b=dict(type='torch.nn.Tanh'))))
    x = torch.randn(3, 5)
    param = nn.Parameter(torch.tensor([0.0, 1.0]))
    op.set_forward_args(param)
    op.set_forward_args(param)  # idempotent, not nested
    p = F.softmax(param.detach(), -1)
    assert torch.allclose(op(x), p[0] * x.relu() + p[1] * x.tanh())
    # the binding survives a deep copy (on the copy's own parameter)
    copied = copy.deepcopy(op)
    assert torch.allclose(copied(x), op(x))
    with pytest.raises(ValueError, match='2 elements'):
        op.set_forward_args(nn.Parameter(torch.zeros(3)))


def _edges():
    return nn.ModuleDict({
        'p0': nn.Identity(),
        'p1': nn.Identity(),
        'p2': nn.Identity(),
        'p3': nn.Identity()
    })


def test_diff_choice_route_topk_forward_fix():
    route = DiffChoiceRoute(_edges(), num_chosen=2, with_arch_param=True)
    param = torch.tensor([0.1, 0.9, -0.3, 0.5])
    assert route.sample_choice(param) == ['p1', 'p3']
    xs = [torch.full((2, ), float(i + 1)) for i in range(4)]
    w = F.softmax(param, -1)
    expected = sum(w[i] * (i + 1) for i in range(4))
    assert torch.allclose(route(xs, nn.Parameter(param)), expected.expand(2))
    # without with_arch_param the edges are summed
    plain = DiffChoiceRoute(_edges())
    assert torch.allclose(
        plain(xs, nn.Parameter(param)), torch.full((2, ), 10.))
    with pytest.raises(ValueError, match='4 inputs'):
        route(xs[:3], nn.Parameter(param))
    route.current_choice = route.sample_choice(param)
    assert route.dump_chosen().chosen == ['p1', 'p3']
    route.fix_chosen(['p1', 'p3'])
    assert route.choices == ['p1', 'p3']
    assert torch.allclose(route(xs), torch.full((2, ), 6.))
    assert route.sample_choice(param) == ['p1', 'p3']
    with pytest.raises(ValueError, match='num_chosen'):
        DiffChoiceRoute(_edges(), num_chosen=5)
    with pytest.raises(KeyError, match='subset'):
        DiffChoiceRoute(_edges()).fix_chosen(['p9'])


def test_gumbel_choice_route_hard_one_hot():
    route = MODELS.build(
        dict(
            type='GumbelChoiceRoute',
            edges=_edges(),
            tau=0.5,
            with_arch_param=True))
    assert isinstance(route, GumbelChoiceRoute)
    assert route.tau == 0.5 and route.hard
    torch.manual_seed(1)
    param = nn.Parameter(torch.zeros(4))
    weights = route.compute_arch_probs(param)
    assert sorted(weights.tolist()) == [0., 0., 0., 1.]
    xs = [torch.full((3, ), float(i + 1)) for i in range(4)]
    for _ in range(5):
        out = route(xs, param)
        # exactly one edge (its input) is selected
        assert out.shape == (3, )
        dist = (out.detach() - torch.tensor([1., 2., 3., 4.])[:, None]).abs()
        assert float(dist.min(0).values.max()) < 1e-5
        assert torch.allclose(out, out[0].expand(3))
    out.sum().backward()
    assert param.grad is not None
    route.set_temperature(2.0)
    assert route.tau == 2.0
    with pytest.raises(ValueError, match='tau'):
        route.set_temperature(0)
