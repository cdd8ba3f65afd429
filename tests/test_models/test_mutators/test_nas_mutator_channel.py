# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
import torch.nn as nn

from mmrazor.models.architectures.dynamic_ops import (DynamicBatchNorm2d,
                                                      DynamicConv2d)
from mmrazor.models.mutables import (MutableChannelContainer,
                                     OneShotMutableChannel, OneShotMutableOP,
                                     OneShotMutableValue)
from mmrazor.models.mutators import NasMutator, OneShotModuleMutator
from mmrazor.structures.subnet import export_fix_subnet, load_fix_subnet


class ChannelNet(nn.Module):
    """conv1 (3 -> 8, searchable width) - bn - op - conv2 (8 -> 4)."""

    def __init__(self, with_op=True):
        super().__init__()
        torch.manual_seed(0)
        self.mid_channels = OneShotMutableChannel(
            8, candidate_choices=[4, 6, 8])
        self.conv1 = DynamicConv2d(3, 8, 3, padding=1)
        self.bn1 = DynamicBatchNorm2d(8)
        self.conv2 = DynamicConv2d(8, 4, 1)
        reg = MutableChannelContainer.register_mutable_channel_to_module
        reg(self.conv1, self.mid_channels, True)
        reg(self.bn1, self.mid_channels, True)
        reg(self.conv2, self.mid_channels, False)
        self.act = OneShotMutableOP(
            nn.ModuleDict({
                'relu': nn.ReLU(),
                'tanh': nn.Tanh()
            })) if with_op else nn.Tanh()
        self.scale = OneShotMutableValue([1, 2, 3])

    def forward(self, x):
        x = self.act(self.bn1(self.conv1(x)))
        return self.conv2(x) * self.scale.current_choice


def test_nas_mutator_builds_channel_groups():
    net = ChannelNet().eval()
    mutator = NasMutator()
    mutator.prepare_from_supernet(net)
    groups = mutator.search_groups
    assert list(groups) == ['module_0', 'value_1', 'channel_0']
    unit = groups['channel_0'][0]
    assert unit.mutable_channel is net.mid_channels
    assert unit.candidate_choices == [4, 6, 8]
    assert {c.name for c in unit.output_related} >= {'conv1', 'bn1'}
    assert 'conv2' in {c.name for c in unit.input_related}
    assert 'conv2' not in {c.name for c in unit.output_related}

    seen = {mutator.sample_choices()['channel_0'] for _ in range(40)}
    assert seen == {4, 6, 8}

    x = torch.randn(2, 3, 8, 8)
    choices = dict(module_0='tanh', value_1=2, channel_0=6)
    mutator.set_choices(choices)
    assert mutator.current_choices == choices
    assert net.mid_channels.activated_channels == 6
    out = net(x)
    # manual: the first 6 channels of every searchable layer
    h = nn.functional.conv2d(
        x, net.conv1.weight[:6], net.conv1.bias[:6], padding=1)
    h = nn.functional.batch_norm(h, net.bn1.running_mean[:6],
                                 net.bn1.running_var[:6], net.bn1.weight[:6],
                                 net.bn1.bias[:6], False, 0., net.bn1.eps)
    h = nn.functional.conv2d(h.tanh(), net.conv2.weight[:, :6], net.conv2.bias)
    assert torch.allclose(out, h * 2, atol=1e-5)

    # export / load: the channel is exported by its module path
    fix_subnet, static = export_fix_subnet(net, slice_weight=True)
    assert fix_subnet['mid_channels'].chosen == 6
    assert fix_subnet['act'].chosen == 'tanh'
    assert fix_subnet['scale'].chosen == 2
    assert isinstance(static.conv1, nn.Conv2d) and \
        not isinstance(static.conv1, DynamicConv2d)
    assert static.conv1.out_channels == 6 and static.conv2.in_channels == 6
    assert torch.allclose(static(x), out, atol=1e-5)

    fresh = ChannelNet().eval()
    load_fix_subnet(fresh, {k: v.chosen for k, v in fix_subnet.items()})
    assert fresh.conv1.weight.shape == (6, 3, 3, 3)
    assert torch.allclose(fresh(x), out, atol=1e-5)


def test_set_max_min_and_module_mutator_ignores_channels():
    net = ChannelNet(with_op=False)
    mutator = NasMutator()
    mutator.prepare_from_supernet(net)
    assert mutator.max_choices == dict(value_0=3, channel_0=8)
    assert mutator.min_choices == dict(value_0=1, channel_0=4)
    mutator.set_min_choices()
    assert net.mid_channels.activated_channels == 4
    assert net.conv1(torch.randn(1, 3, 4, 4)).shape == (1, 4, 4, 4)
    mutator.set_max_choices()
    assert mutator.current_choices == dict(value_0=3, channel_0=8)
    assert net.conv1(torch.randn(1, 3, 4, 4)).shape == (1, 8, 4, 4)

    net = ChannelNet()
    mutator = NasMutator()
    mutator.prepare_from_supernet(net)
    # OneShotMutableOP has no max choice: a clear error, not nn.Module's
    # "'NasMutator' object has no attribute 'max_choices'"
    for call in (mutator.set_max_choices, lambda: mutator.max_choices,
                 lambda: mutator.min_choices):
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert 'OneShotMutableOP of group module_0' in message
        assert "'relu'" in message and 'set_choices' in message
        assert 'object has no attribute' not in message
    mutator.set_choices(dict(module_0='relu', value_1=1, channel_0=4))
    assert net.mid_channels.activated_channels == 4
    assert net(torch.randn(1, 3, 4, 4)).shape == (1, 4, 4, 4)

    module_mutator = OneShotModuleMutator()
    module_mutator.prepare_from_supernet(ChannelNet())
    assert list(module_mutator.search_groups) == [0]


def test_predictor_encodes_channel_groups():
    from mmrazor.registry import TASK_UTILS
    mutator = NasMutator()
    mutator.prepare_from_supernet(ChannelNet(with_op=False))
    predictor = TASK_UTILS.build(
        dict(
            type='mmrazor.MetricPredictor',
            handler_cfg=dict(type='mmrazor.CartsHandler', num_trees=5),
            search_groups=mutator.search_groups))
    vector = predictor.model2vector(dict(value_0=2, channel_0=6))
    assert vector.tolist() == [0., 1., 0., 0., 1., 0.]
    assert predictor.vector2model(vector) == dict(value_0=2, channel_0=6)
