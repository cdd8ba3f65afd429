# Copyright (c) OpenMMLab. All rights reserved.
"""The analyzer's cheap verification path: UnitPruner, shape-only convs in
the value recorder, exact restoration of the model."""
import copy

import pytest
import torch
from test_channel_analyzer import ResCatNet  # same folder (rootdir mode)
from torch import nn

from mmrazor.models.mutables import SequentialMutableChannelUnit
from mmrazor.models.task_modules.tracer import ChannelAnalyzer
from mmrazor.models.task_modules.tracer.fx import FxTracer, ValueRecorder
from mmrazor.models.task_modules.tracer.fx.fx_tracer import \
    trace_to_traced_module
from mmrazor.models.task_modules.tracer.unit_pruner import UnitPruner


def _choices(units):
    return {
        name: max(1, cfg['init_args']['num_channels'] * 2 // 3)
        for name, cfg in units.items()
    }


def test_unit_pruner_matches_real_units_and_restores():
    torch.manual_seed(0)
    model = ResCatNet().eval()
    units = dict(ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(model))
    assert units
    x = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        plain = model(x)
    choices = _choices(units)

    # the real pruning: unit objects, containers, dynamic ops
    real = copy.deepcopy(model)
    for name, cfg in units.items():
        unit = SequentialMutableChannelUnit.init_from_cfg(real, cfg)
        unit.prepare_for_pruning(real)
        unit.current_choice = choices[name]
    with torch.no_grad():
        expected = real(x)

    classes = [type(m) for m in model.modules()]
    pruner = UnitPruner(model, units, shape_only=False)
    assert pruner.failed == {}
    # the units that reach `fc` through the flatten
    assert pruner.flattened == {'split_l_(0, 4)_4', 'split_r_(0, 4)_4'}
    assert pruner.num_channels == {
        n: c['init_args']['num_channels']
        for n, c in units.items()
    }
    pruner.apply()
    try:
        with torch.no_grad():
            # every unit unpruned: the plain output
            torch.testing.assert_close(model(x), plain)
            pruner.set_choices(choices)
            got = model(x)
    finally:
        pruner.restore()
    torch.testing.assert_close(got, expected)
    assert not torch.allclose(got, plain)
    # same classes, no mutable left behind, same output
    assert [type(m) for m in model.modules()] == classes
    assert not any('mutable_attrs' in m._modules for m in model.modules())
    with torch.no_grad():
        torch.testing.assert_close(model(x), plain)

    # shape only (what the analyzer runs): same shapes, no compute
    pruner = UnitPruner(model, units)
    pruner.apply()
    try:
        pruner.set_choices(choices)
        with torch.no_grad():
            shaped = model(x)
    finally:
        pruner.restore()
    assert shaped.shape == expected.shape
    assert [type(m) for m in model.modules()] == classes


def test_unit_pruner_shape_only_conv_still_checks_channels():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 4, 1)).eval()
    # a wrong unit: prunes the output of the first conv only
    units = {
        'wrong':
        dict(
            init_args=dict(num_channels=8),
            channels=dict(
                output_related=[dict(name='0', start=0, end=8)],
                input_related=[]))
    }
    pruner = UnitPruner(model, units)
    pruner.apply()
    try:
        pruner.set_choices({'wrong': 5})
        with pytest.raises(RuntimeError, match='channels'):
            model(torch.rand(1, 3, 6, 6))
        pruner.set_choices({})
        assert model(torch.rand(1, 3, 6, 6)).shape == (1, 4, 4, 4)
    finally:
        pruner.restore()


def test_unit_pruner_reports_units_it_can_not_prepare():
    model = ResCatNet().eval()
    units = dict(ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(model))
    bad = copy.deepcopy(units['stem_(0, 8)_8'])
    bad['init_args']['num_channels'] = 3  # 8 channels are not 3 * k
    units['broken'] = bad
    pruner = UnitPruner(model, units)
    assert set(pruner.failed) == {'broken'}
    assert 'not a multiple' in pruner.failed['broken']
    assert 'broken' not in pruner.num_channels

    # an out-of-range channel range is named too
    out_of_range = copy.deepcopy(units['stem_(0, 8)_8'])
    out_of_range['channels']['output_related'][0]['end'] = 16
    out_of_range['init_args']['num_channels'] = 16
    out_of_range['channels']['output_related'] = \
        out_of_range['channels']['output_related'][:1]
    out_of_range['channels']['input_related'] = []
    pruner = UnitPruner(model, {'wide': out_of_range})
    assert 'out of [0, 8]' in pruner.failed['wide']


def test_analyzer_drops_units_whose_pruned_forward_fails(monkeypatch):
    """A wrong unit (here: one unit split in two by hand) is found by the
    verification forward and reported, the others are kept."""
    from mmrazor.structures.graph import channel_graph
    original = channel_graph.ChannelGraph.generate_units_config

    def split_stem(self):
        units, rejected = original(self)
        cfg = units.pop('stem_(0, 8)_8')
        outs = cfg['channels']['output_related']
        ins = cfg['channels']['input_related']
        units['stem_half_a'] = dict(
            init_args=dict(num_channels=8),
            channels=dict(output_related=outs[:1], input_related=ins[:1]))
        units['stem_half_b'] = dict(
            init_args=dict(num_channels=8),
            channels=dict(output_related=outs[1:], input_related=ins[1:]))
        return units, rejected

    monkeypatch.setattr(channel_graph.ChannelGraph, 'generate_units_config',
                        split_stem)
    result = ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(ResCatNet())
    dropped = {d['unit'] for d in result.report.dropped}
    assert dropped & {'stem_half_a', 'stem_half_b'}
    assert all('forward failed when pruned' in d['reason']
               for d in result.report.dropped)
    assert 'split_l_(0, 4)_4' in result


class _Convs(nn.Module):

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 4, 3, stride=2)
        self.a = nn.Conv2d(3, 5, 3, stride=2, padding=1, dilation=2)
        self.b = nn.Conv2d(5, 6, (3, 1), padding='same')
        self.c = nn.Conv2d(6, 7, 2, padding='valid', groups=1)
        self.d = nn.Conv3d(7, 2, 1)

    def forward(self, x):
        y = self.c1(x.flatten(2))
        z = self.c(self.b(self.a(x)))
        return y, self.d(z.unsqueeze(2))


def test_value_recorder_shape_only_convs_give_the_real_shapes():
    model = _Convs().eval()
    gm = trace_to_traced_module(model, FxTracer())
    x = torch.rand(1, 3, 9, 11)
    real = ValueRecorder(gm)
    fast = ValueRecorder(gm, shape_only_convs=True)
    with torch.no_grad():
        real.run(x)
        out = fast.run(x)
    assert real.values.keys() == fast.values.keys()
    for name, value in real.values.items():
        if isinstance(value, torch.Tensor):
            assert fast.values[name].shape == value.shape, name
            assert fast.values[name].dtype == value.dtype, name
    assert all(not o.any() for o in out)  # zeros, nothing computed

    # a channel mismatch still raises the real op's error
    bad = _Convs().eval()
    bad.b = nn.Conv2d(4, 6, 1)
    with pytest.raises(RuntimeError, match='channels'):
        ValueRecorder(
            trace_to_traced_module(bad, FxTracer()),
            shape_only_convs=True).run(x)


def test_analyzer_restores_every_training_flag():
    model = ResCatNet().train()
    model.bn.eval()  # a mixed state, as with frozen norms
    flags = [m.training for m in model.modules()]
    ChannelAnalyzer(demo_input=(1, 3, 8, 8)).analyze(model)
    assert [m.training for m in model.modules()] == flags
