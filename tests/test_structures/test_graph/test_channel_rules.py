# Copyright (c) OpenMMLab. All rights reserved.
"""The per-op channel-rule table, read by both tracers."""
import pytest
import torch
from torch import nn

from mmrazor.models.task_modules.tracer import parsers
from mmrazor.registry import TASK_UTILS
from mmrazor.structures.graph.channel_rules import CHANNEL_RULES


class MyAct(nn.Module):
    """An activation the table does not know."""

    def forward(self, x):
        return torch.sinh(x)


class Net(nn.Module):

    def __init__(self, act: nn.Module) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.act = act
        self.conv2 = nn.Conv2d(8, 4, 3)

    def forward(self, x):
        return self.conv2(self.act(self.conv1(x)))


class Sinh(nn.Module):

    def forward(self, x):
        return torch.sinh(x)


def analyze(model, tracer, **kwargs):
    analyzer = TASK_UTILS.build(
        dict(
            type='ChannelAnalyzer',
            tracer_type=tracer,
            demo_input=dict(type='BaseDemoInput', input_shape=(1, 3, 8, 8)),
            **kwargs))
    return analyzer.analyze(model)


@pytest.fixture
def restore_rules():
    saved = (dict(CHANNEL_RULES._module_types), dict(CHANNEL_RULES._functions))
    yield
    CHANNEL_RULES._module_types.clear()
    CHANNEL_RULES._module_types.update(saved[0])
    CHANNEL_RULES._functions.clear()
    CHANNEL_RULES._functions.update(saved[1])
    CHANNEL_RULES._cache.clear()


def test_new_module_is_one_entry(restore_rules):
    model = Net(MyAct())
    found = analyze(model, 'FxTracer', leaf_modules=['act'])
    assert 'conv1_(0, 8)_8' not in found
    assert any('MyAct' in u['reason'] for u in found.report.unsupported)
    CHANNEL_RULES.register_module(MyAct, 'pass')
    found = analyze(model, 'FxTracer', leaf_modules=['act'])
    assert list(found) == ['conv1_(0, 8)_8']
    assert not found.report.unsupported


@pytest.mark.parametrize('tracer', ['FxTracer', 'BackwardTracer'])
def test_new_function_is_one_entry_for_both_tracers(restore_rules, tracer):
    model = Net(Sinh())
    found = analyze(model, tracer)
    assert 'conv1_(0, 8)_8' not in found
    CHANNEL_RULES.register_function('sinh', 'pass')
    found = analyze(model, tracer)
    assert list(found) == ['conv1_(0, 8)_8']


def test_subclasses_follow_their_base_and_bad_kinds():
    from mmrazor.implementations.pruning.group_fisher import \
        GroupFisherConv2d
    from mmrazor.models.architectures.dynamic_ops import DynamicBatchNorm2d
    assert CHANNEL_RULES.module_rule(GroupFisherConv2d(3, 4, 1)) == 'conv'
    assert CHANNEL_RULES.module_rule(DynamicBatchNorm2d(4)) == 'batch_norm'
    assert CHANNEL_RULES.module_rule(MyAct()) is None
    with pytest.raises(ValueError, match='unknown channel rule kind'):
        CHANNEL_RULES.register_module(MyAct, 'convolution')


def test_every_parser_target_has_a_rule():
    targets = set(parsers.PASS_OPS.values()) | set(
        parsers.BINARY_OPS.values()) | set(parsers.REDUCE_OPS.values()) | {
            'pow', 'view', 'expand', 'repeat', 'permute', 'transpose', 't',
            'cat', 'stack', 'split', 'split_with_sizes', 'softmax',
            'log_softmax', 'clone', 'pad'
        }
    missing = sorted(t for t in targets if not CHANNEL_RULES.function_rule(t))
    assert missing == []
