# Copyright (c) OpenMMLab. All rights reserved.
import doctest
import importlib

import pytest
import torch
import torch.nn as nn

from mmrazor.models.mutables import OneShotMutableOP, OneShotProbMutableOP


def _candidates():
    return nn.ModuleDict({
        'conv3x3': nn.Conv2d(4, 4, 3, 1, 1),
        'conv5x5': nn.Conv2d(4, 4, 5, 1, 2),
        'identity': nn.Identity(),
    })


@pytest.mark.parametrize('module', [
    'mmrazor.models.mutables.mutable_module.one_shot_mutable_module',
    'mmrazor.models.mutables.mutable_value.mutable_value',
    'mmrazor.models.mutables.derived_mutable',
    'mmrazor.models.mutators.nas_mutator',
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_forward_modes_and_fix():
    cands = _candidates()
    op = OneShotMutableOP(cands)
    x = torch.randn(2, 4, 8, 8)
    assert op.current_choice is None
    # forward_all sums the candidates
    expected = sum(c(x) for c in cands.values())
    assert torch.allclose(op(x), expected)
    op.current_choice = 'identity'
    assert torch.equal(op(x), x)
    with pytest.raises(KeyError, match='candidates'):
        op.forward_choice(x, 'conv9x9')
    assert op.dump_chosen().chosen == 'identity'
    assert op.dump_chosen().meta == dict(
        all_choices=['conv3x3', 'conv5x5', 'identity'])
    with pytest.raises(KeyError):
        op.fix_chosen('conv9x9')
    op.fix_chosen('conv5x5')
    assert op.choices == ['conv5x5'] and op.is_fixed
    assert torch.allclose(op(x), cands['conv5x5'](x))
    assert op.dump_chosen().chosen == 'conv5x5'
    assert len(list(op.parameters())) == 2
    with pytest.raises(AttributeError, match='fixed'):
        op.fix_chosen('conv5x5')


def test_build_from_cfg_with_module_kwargs():
    op = OneShotMutableOP(
        candidates=dict(
            a=dict(type='torch.nn.Conv2d', kernel_size=1),
            b=dict(type='torch.nn.Conv2d', kernel_size=3, padding=1)),
        module_kwargs=dict(in_channels=3, out_channels=5))
    assert op._candidates['b'].out_channels == 5
    assert op.mutable_prefix == 'module'
    assert {op.sample_choice() for _ in range(40)} == {'a', 'b'}
    with pytest.raises(TypeError, match='type'):
        OneShotMutableOP(candidates=dict(a=dict(kernel_size=1)))
    with pytest.raises(ValueError, match='empty'):
        OneShotMutableOP(candidates=dict())


def test_prob_mutable_op():
    with pytest.raises(ValueError, match='sum to 1'):
        OneShotProbMutableOP(_candidates(), choice_probs=[0.5, 0.3, 0.3])
    op = OneShotProbMutableOP(_candidates(), choice_probs=[0.0, 1.0, 0.0])
    assert {op.sample_choice() for _ in range(20)} == {'conv5x5'}
    op.fix_chosen('identity')
    assert op.sample_choice() == 'identity'
