# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch
from torch import nn

from mmrazor.models.mutators import ChannelMutator, OneShotChannelMutator
from mmrazor.registry import MODELS


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.conv3 = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = x + self.conv2(x)
        x = self.conv3(x).mean((2, 3))
        return self.fc(x)


PARSE = dict(type='ChannelAnalyzer', demo_input=(1, 3, 8, 8))


def test_analyzer_mode_choices_and_templates():
    net = Net()
    mutator = MODELS.build(
        dict(
            type='ChannelMutator',
            channel_unit_cfg=dict(
                type='SequentialMutableChannelUnit',
                default_args=dict(choice_mode='ratio')),
            parse_cfg=PARSE))
    mutator.prepare_from_supernet(net)
    assert set(
        mutator.choice_template) == {'conv1_(0, 8)_8', 'conv3_(0, 16)_16'}
    mutator.set_choices({'conv1_(0, 8)_8': 0.5})
    assert mutator.current_choices['conv1_(0, 8)_8'] == 0.5
    with pytest.raises(KeyError, match='unknown unit'):
        mutator.set_choices({'nope': 0.5})
    sampled = mutator.sample_choices()
    mutator.set_choices(sampled)
    assert net(torch.rand(1, 3, 8, 8)).shape == (1, 3)
    with pytest.raises(NotImplementedError):
        mutator.sample_choices('max')

    # Config mode rebuilds the same structure from the template
    tpl = mutator.config_template(with_channels=True)
    assert tpl['type'] == 'ChannelMutator'
    assert tpl['channel_unit_cfg']['type'] == \
        'SequentialMutableChannelUnit'
    net2 = Net()
    net2.load_state_dict(Net().state_dict())
    m2 = MODELS.build(copy.deepcopy(tpl))
    m2.prepare_from_supernet(net2)
    assert m2.current_choices == mutator.current_choices

    # Predefined mode finds the units of a prepared model
    m3 = ChannelMutator(parse_cfg=dict(type='Predefined'))
    m3.prepare_from_supernet(net)
    assert len(m3.units) == 2
    plain = mutator.config_template()
    assert 'channels' not in plain['channel_unit_cfg']['units'][
        'conv1_(0, 8)_8']


def test_config_mode_needs_channels():
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='SequentialMutableChannelUnit', units={'a': dict(choice=2)}),
        parse_cfg=dict(type='Config'))
    with pytest.raises(KeyError, match='channels'):
        mutator.prepare_from_supernet(Net())
    with pytest.raises(KeyError, match='not registered'):
        ChannelMutator(channel_unit_cfg=dict(type='NoSuchUnit'))


def test_one_shot_channel_mutator():
    net = Net()
    mutator = OneShotChannelMutator(
        channel_unit_cfg=dict(
            type='OneShotMutableChannelUnit',
            default_args=dict(candidate_choices=[0.5, 1.0])),
        parse_cfg=PARSE)
    mutator.prepare_from_supernet(net)
    assert set(mutator.max_choices.values()) == {1.0}
    mutator.set_choices(mutator.sample_choices('min'))
    assert set(mutator.current_choices.values()) == {0.5}
    assert net.conv1(torch.rand(1, 3, 8, 8)).shape[1] == 4
