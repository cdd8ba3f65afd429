# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
from torch import nn

from mmrazor.models.architectures.dynamic_ops import DynamicConv2d
from mmrazor.models.mutables import (Channel, ChannelUnit,
                                     L1MutableChannelUnit, MutableChannelUnit,
                                     OneShotMutableChannelUnit,
                                     SequentialMutableChannelUnit)


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.conv2(self.bn(self.conv1(x)))


def _cfg(num=8):
    return dict(
        init_args=dict(num_channels=num),
        channels=dict(
            output_related=[
                dict(name='conv1', start=0, end=num),
                dict(name='bn', start=0, end=num)
            ],
            input_related=[
                dict(name='bn', start=0, end=num),
                dict(name='conv2', start=0, end=num)
            ]))


def test_channel_and_unit_templates():
    net = Net()
    ch = Channel.init_from_cfg(net, dict(name='conv1'))
    assert ch.index == (0, 8) and ch.is_output_channel
    assert ch.config_template() == dict(
        name='conv1', start=0, end=8, is_output_channel=True)
    assert not ch.is_mutable  # a plain conv with parameters
    unit = ChannelUnit.init_from_cfg(net, _cfg())
    assert unit.name == 'conv1_(0, 8)_8'
    with pytest.raises(KeyError, match='not found'):
        Channel.init_from_cfg(net, dict(name='nope'))


def test_sequential_unit_prepare_and_template():
    net = Net()
    unit = SequentialMutableChannelUnit.init_from_cfg(net, _cfg())
    unit.prepare_for_pruning(net)
    assert isinstance(net.conv1, DynamicConv2d)
    assert unit.is_mutable
    unit.current_choice = 3
    x = torch.rand(1, 3, 4, 4)
    assert net(x).shape == (1, 4, 4, 4)
    assert net.conv1(x).shape[1] == 3
    tpl = unit.config_template(with_init_args=True, with_channels=True)
    assert tpl['init_args'] == dict(
        num_channels=8,
        choice_mode='number',
        divisor=1,
        min_value=1,
        min_ratio=0.9)
    assert tpl['choice'] == 3
    assert tpl['channels']['input_related'][1]['name'] == 'conv2'
    ratio = SequentialMutableChannelUnit(8, choice_mode='ratio', divisor=4)
    ratio.current_choice = 0.3  # 2.4 -> made divisible by 4
    assert ratio.current_choice == 0.5
    assert isinstance(ratio.sample_choice(), float)
    with pytest.raises(ValueError):
        ratio.current_choice = 1.5


def test_l1_unit_keeps_largest_filters():
    net = Net()
    with torch.no_grad():
        net.conv1.weight.zero_()
        net.conv1.weight[[1, 5, 6]] = 1.0
    unit = L1MutableChannelUnit.init_from_cfg(net, _cfg())
    unit.prepare_for_pruning(net)
    unit.current_choice = 3
    assert unit.mutable_channel.current_mask.nonzero().flatten().tolist() \
        == [1, 5, 6]


def test_oneshot_unit_and_predefined_model():
    net = Net()
    unit = OneShotMutableChannelUnit.init_from_cfg(
        net,
        dict(
            _cfg(),
            init_args=dict(num_channels=8, candidate_choices=[0.25, 1.0])))
    unit.prepare_for_pruning(net)
    assert unit.current_choice == 1.0
    assert unit.min_choice == 0.25
    unit.current_choice = unit.min_choice
    units = MutableChannelUnit.__subclasses__()
    assert SequentialMutableChannelUnit in units
    found = SequentialMutableChannelUnit.init_from_predefined_model(net)
    assert len(found) == 1
    assert found[0].mutable_channel is unit.mutable_channel
    assert {c.name for c in found[0].output_related} == {'conv1', 'bn'}
