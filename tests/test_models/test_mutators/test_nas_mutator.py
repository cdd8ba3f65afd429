# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch.nn as nn

from mmrazor.models.mutables import OneShotMutableOP, OneShotMutableValue
from mmrazor.models.mutators import (NasMutator, OneShotModuleMutator,
                                     ValueMutator)
from mmrazor.registry import MODELS


def _op(alias=None):
    return OneShotMutableOP(
        nn.ModuleDict({
            'a': nn.Identity(),
            'b': nn.ReLU(),
            'c': nn.Tanh()
        }),
        alias=alias)


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.op1 = _op()
        self.op2 = _op()
        self.op3 = _op(alias='shared')
        self.op4 = _op(alias='shared')
        self.kernel = OneShotMutableValue([3, 5, 7])
        self.derived = self.kernel * 2  # not a search group


def test_nas_mutator_groups_and_choices():
    net = Net()
    mutator = MODELS.build(dict(type='NasMutator'))
    with pytest.raises(RuntimeError, match='prepare_from_supernet'):
        mutator.search_groups
    mutator.prepare_from_supernet(net)
    groups = mutator.search_groups
    assert list(groups) == ['module_0', 'module_1', 'module_2', 'value_3']
    assert groups['module_2'] == [net.op3, net.op4]

    choices = mutator.sample_choices()
    mutator.set_choices(choices)
    assert net.op3.current_choice == net.op4.current_choice
    assert mutator.current_choices == choices
    with pytest.raises(AttributeError, match='max_choice'):
        mutator.sample_choices('max')
    with pytest.raises(ValueError, match='kind'):
        mutator.sample_choices('best')
    with pytest.raises(KeyError, match='expected keys'):
        mutator.set_choices({'module_0': 'a'})


def test_custom_groups_by_name_and_alias():
    net = Net()
    mutator = NasMutator(custom_groups=[['op1', 'shared']])
    mutator.prepare_from_supernet(net)
    groups = mutator.search_groups
    assert len(groups) == 3
    assert groups['module_0'] == [net.op1, net.op3, net.op4]
    with pytest.raises(KeyError, match='neither the name nor the alias'):
        NasMutator(custom_groups=[['op9']]).prepare_from_supernet(net)
    with pytest.raises(ValueError, match='more than one'):
        NasMutator(custom_groups=[['op1'], ['op1', 'op2']]) \
            .prepare_from_supernet(net)
    with pytest.raises(ValueError, match='different types'):
        NasMutator(custom_groups=[['op1', 'kernel']]) \
            .prepare_from_supernet(net)


def test_max_min_on_values():

    class ValueNet(nn.Module):

        def __init__(self):
            super().__init__()
            self.a = OneShotMutableValue([1, 2, 3])
            self.b = OneShotMutableValue([4, 8])

    net = ValueNet()
    mutator = NasMutator()
    mutator.prepare_from_supernet(net)
    mutator.set_min_choices()
    assert (net.a.current_choice, net.b.current_choice) == (1, 4)
    mutator.set_max_choices()
    assert mutator.current_choices == {'value_0': 3, 'value_1': 8}
    assert mutator.min_choices == {'value_0': 1, 'value_1': 4}

    vm = MODELS.build(dict(type='ValueMutator'))
    vm.prepare_from_supernet(net)
    assert list(vm.search_groups) == [0, 1]


def test_one_shot_module_mutator_documented_groups():
    net = Net()
    m1 = MODELS.build(dict(type='mmrazor.OneShotModuleMutator'))
    m1.prepare_from_supernet(net)
    # ungrouped mutables get own groups; the two aliased ops share one
    assert list(m1.search_groups.keys()) == [0, 1, 2]
    m2 = OneShotModuleMutator(custom_group=[['op1', 'op2']])
    m2.prepare_from_supernet(net)
    assert list(m2.search_groups.keys()) == [0, 1]
    choices = m2.sample_choices()
    m2.set_choices(choices)
    assert net.op1.current_choice == net.op2.current_choice == choices[0]
    with pytest.raises(RuntimeError, match='found no mutable'):
        OneShotModuleMutator().prepare_from_supernet(nn.Conv2d(1, 1, 1))
