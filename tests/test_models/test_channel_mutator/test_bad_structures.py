# Copyright (c) OpenMMLab. All rights reserved.
"""Structure files that do not fit the model: clear errors."""
import copy

import pytest
from torch import nn

from mmrazor.models.mutators import ChannelMutator
from mmrazor.structures.subnet import load_fix_subnet

DEMO = dict(type='BaseDemoInput', input_shape=(1, 3, 8, 8))
PARSE = dict(type='ChannelAnalyzer', tracer_type='FxTracer', demo_input=DEMO)


def net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3))


@pytest.fixture(scope='module')
def template():
    mutator = ChannelMutator(parse_cfg=PARSE)
    mutator.prepare_from_supernet(net())
    mutator.set_choices({'0_(0, 8)_8': 5})
    return mutator.config_template(
        with_unit_init_args=True, with_channels=True)


def test_good_structure_loads(template):
    model = net()
    load_fix_subnet(model, copy.deepcopy(template), 'mutator')
    assert model[0].out_channels == 5


def test_structure_of_another_model(template):
    cfg = copy.deepcopy(template)
    units = cfg['channel_unit_cfg']['units']
    units['backbone.conv1_(0, 64)_64'] = units.pop('0_(0, 8)_8')
    # with channels: the module names do not exist
    units['backbone.conv1_(0, 64)_64']['channels']['output_related'][0][
        'name'] = 'backbone.conv1'
    with pytest.raises(
            KeyError,
            match=r'backbone.conv1_\(0, 64\)_64.*'
            'backbone.conv1 is not in'):
        load_fix_subnet(net(), cfg, 'mutator')
    # without channels: the analysis does not find the unit
    for unit in units.values():
        unit.pop('channels')
    cfg['parse_cfg'] = PARSE
    with pytest.raises(
            KeyError, match=r'backbone.conv1_\(0, 64\)_64.*'
            'another model'):
        load_fix_subnet(net(), cfg, 'mutator')


def test_widths_beyond_the_layer(template):
    cfg = copy.deepcopy(template)
    unit = cfg['channel_unit_cfg']['units']['0_(0, 8)_8']
    unit['channels']['output_related'][0]['end'] = 16
    with pytest.raises(
            ValueError,
            match=r'0_\(0, 8\)_8.*\(0, 16\) of 0 '
            'exceed its 8 output channels'):
        load_fix_subnet(net(), cfg, 'mutator')
    cfg = copy.deepcopy(template)
    cfg['channel_unit_cfg']['units']['0_(0, 8)_8']['choice'] = 12
    # a choice above the width (published DMCP files hold such): all kept
    model = net()
    with pytest.warns(UserWarning, match=r'0_\(0, 8\)_8.*keeps 12 channels'):
        load_fix_subnet(model, cfg, 'mutator')
    assert model[0].out_channels == 8
