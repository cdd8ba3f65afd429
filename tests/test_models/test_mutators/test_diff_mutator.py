# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine import fileio

from mmrazor.models.mutables import DiffChoiceRoute, DiffMutableOP
from mmrazor.models.mutators import DiffModuleMutator, NasMutator
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import (dump_fix_subnet, export_fix_subnet,
                                       load_fix_subnet)

OPS = ('relu', 'tanh', 'sigmoid')


def _op(alias):
    return DiffMutableOP(
        nn.ModuleDict({
            'relu': nn.ReLU(),
            'tanh': nn.Tanh(),
            'sigmoid': nn.Sigmoid()
        }),
        alias=alias)


class Node(nn.Module):
    """A DARTS-like node: one op per input edge, then a route."""

    def __init__(self, name, num_inputs=3):
        super().__init__()
        edges = nn.ModuleDict(
            {f'{name}_p{i}': _op(f'{name}_p{i}')
             for i in range(num_inputs)})
        self.route = DiffChoiceRoute(
            edges, num_chosen=2, with_arch_param=True, alias=name)

    def forward(self, xs):
        return self.route(xs)


class Cell(nn.Module):

    def __init__(self):
        super().__init__()
        self.n2 = Node('n2')
        self.n3 = Node('n3')

    def forward(self, x):
        a = self.n2([x, x * 2, x * 3])
        return self.n3([x, a, a * 2])


class Net(nn.Module):
    """Two cells sharing aliases (so DARTS-style groups are shared)."""

    def __init__(self):
        super().__init__()
        self.cell1 = Cell()
        self.cell2 = Cell()

    def forward(self, x):
        return self.cell2(self.cell1(x))


def test_diff_module_mutator_from_cfg_with_custom_groups():
    torch.manual_seed(0)
    net = Net()
    mutator = MODELS.build(
        dict(
            type='mmrazor.DiffModuleMutator',
            custom_groups=[['n2_p0', 'n2_p1']]))
    assert isinstance(mutator, DiffModuleMutator)
    mutator.prepare_from_supernet(net)
    groups = mutator.search_groups
    # n2_p0 + n2_p1 (custom), n2_p2, n2 route, n3 route, n3_p0..2 = 7
    assert len(groups) == 7 and all(isinstance(k, int) for k in groups)
    sizes = {k: len(v) for k, v in groups.items()}
    assert sorted(sizes.values()) == [2, 2, 2, 2, 2, 2, 4]
    with pytest.raises(RuntimeError, match='prepare_arch_params'):
        mutator.sample_choices()
    params = mutator.prepare_arch_params()
    assert mutator.arch_params is params
    assert set(params.keys()) == {str(k) for k in groups}
    for k, mutables in groups.items():
        assert params[str(k)].shape == (3, )
        assert params[str(k)].abs().max() < 0.01  # randn * 1e-3
    # arch params are parameters of the mutator (for the mutator optim)
    names = [n for n, _ in mutator.named_parameters()]
    assert len(names) == 7 and all(n.startswith('arch_params.') for n in names)

    # argmax / top-2 choices follow the parameters
    with torch.no_grad():
        for k, mutables in groups.items():
            params[str(k)].copy_(torch.tensor([0.1, 0.5, 0.3]))
    choices = mutator.sample_choices()
    for k, mutables in groups.items():
        if isinstance(mutables[0], DiffChoiceRoute):
            assert choices[k] == [
                mutables[0].choices[1], mutables[0].choices[2]
            ]
        else:
            assert choices[k] == 'tanh'
    mutator.set_choices(choices)
    assert mutator.current_choices == choices


def test_bound_forward_matches_manual_and_trains():
    torch.manual_seed(0)
    net = Net()
    mutator = DiffModuleMutator()
    mutator.prepare_from_supernet(net)
    params = mutator.prepare_arch_params()
    x = torch.randn(4, 5)
    out = net(x)

    # manual computation of one cell with the bound parameters
    def probs(mutable):
        key = [
            k for k, v in mutator.search_groups.items()
            if any(m is mutable for m in v)
        ][0]
        return F.softmax(params[str(key)].detach(), -1)

    def op(mutable, v):
        p = probs(mutable)
        return p[0] * v.relu() + p[1] * v.tanh() + p[2] * v.sigmoid()

    def node(n, xs):
        route = n.route
        p = probs(route)
        edges = list(route._candidates.values())
        return sum(p[i] * op(edges[i], xs[i]) for i in range(3))

    def cell(c, v):
        a = node(c.n2, [v, v * 2, v * 3])
        return node(c.n3, [v, a, a * 2])

    manual = cell(net.cell2, cell(net.cell1, x))
    assert torch.allclose(out, manual, atol=1e-6)

    # one optimizer step on the arch params changes the output
    optim = torch.optim.SGD(mutator.parameters(), lr=10.)
    out.pow(2).sum().backward()
    assert all(p.grad is not None for p in params.values())
    optim.step()
    assert not torch.allclose(net(x), out.detach())


def test_nas_mutator_with_diff_mutables_and_yaml_round_trip(tmp_path):
    torch.manual_seed(0)
    net = Net()
    mutator = NasMutator()
    mutator.prepare_from_supernet(net)
    assert list(mutator.search_groups)[0] == 'module_0'
    assert mutator.arch_params is None
    with pytest.raises(RuntimeError, match='prepare_arch_params'):
        mutator.sample_choices()
    params = mutator.prepare_arch_params()
    assert set(params) == set(mutator.search_groups)
    with torch.no_grad():
        for key, mutables in mutator.search_groups.items():
            params[key].copy_(torch.tensor([0.9, 0.1, 0.5]))
    choices = mutator.sample_choices()
    mutator.set_choices(choices)

    fix_subnet, _ = export_fix_subnet(net)
    # routes keep p0 and p2: the ops of the dropped edge p1 are not exported
    assert fix_subnet['n2'].chosen == ['n2_p0', 'n2_p2']
    assert fix_subnet['n2_p0'].chosen == ['relu']
    assert 'n2_p1' not in fix_subnet and 'n3_p1' not in fix_subnet
    assert set(fix_subnet) == {'n2', 'n2_p0', 'n2_p2', 'n3', 'n3_p0', 'n3_p2'}
    path = tmp_path / 'subnet.yaml'
    dump_fix_subnet(fix_subnet, path)
    on_disk = fileio.load(str(path))
    assert on_disk['n3'] == {'chosen': ['n3_p0', 'n3_p2']}

    # load into a fresh supernet: the fixed net computes relu on p0 and p2
    fresh = Net()
    fresh.load_state_dict(net.state_dict())
    load_fix_subnet(fresh, str(path))
    x = torch.randn(2, 5)

    def cell(v):
        a = v.relu() + (v * 3).relu()
        return v.relu() + (a * 2).relu()

    assert torch.allclose(fresh(x), cell(cell(x)), atol=1e-6)
    assert fresh.cell1.n2.route.choices == ['n2_p0', 'n2_p2']
    exported, _ = export_fix_subnet(fresh)
    assert {
        k: v.chosen
        for k, v in exported.items()
    } == {
        k: v['chosen']
        for k, v in on_disk.items()
    }

    # slice_weight returns a fixed static copy; the supernet is untouched
    _, static = export_fix_subnet(net, slice_weight=True)
    assert torch.allclose(static(x), cell(cell(x)), atol=1e-6)
    assert not net.cell1.n2.route.is_fixed

    # a missing chosen edge op is an error naming it
    bad = dict(on_disk)
    bad.pop('n2_p2')
    with pytest.raises(KeyError, match='n2_p2'):
        load_fix_subnet(Net(), bad)


def test_deepcopy_keeps_bindings():
    net = Net()
    mutator = DiffModuleMutator()
    mutator.prepare_from_supernet(net)
    mutator.prepare_arch_params()
    both = copy.deepcopy(nn.ModuleDict(dict(net=net, mutator=mutator)))
    x = torch.randn(2, 5)
    assert torch.allclose(both['net'](x), net(x))
    with torch.no_grad():
        for p in both['mutator'].arch_params.values():
            p.add_(torch.tensor([5., 0., 0.]))
    # the copy follows its own parameters, the original does not change
    assert not torch.allclose(both['net'](x), net(x))
