# Copyright (c) OpenMMLab. All rights reserved.
"""Pruning through transposed convolutions (the deconvolution layers of
heatmap heads): the dynamic op, its counter and both channel analyses."""
import copy

import pytest
import torch
from torch import nn

from mmrazor.models.architectures.dynamic_ops import DynamicConvTranspose2d
from mmrazor.models.mutables import (MutableChannelContainer,
                                     SimpleMutableChannel)
from mmrazor.models.mutators import ChannelMutator
from mmrazor.models.task_modules import ResourceEstimator
from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static


def _mask(op, mask, is_out):
    m = SimpleMutableChannel(mask.numel())
    m.current_choice = mask
    MutableChannelContainer.register_mutable_channel_to_module(op, m, is_out)


@pytest.mark.parametrize('prefix', [True, False])
def test_equals_the_sliced_transposed_conv(prefix):
    torch.manual_seed(0)
    deconv = nn.ConvTranspose2d(6, 5, 4, stride=2, padding=1)
    dyn = DynamicConvTranspose2d.convert_from(deconv)
    assert dyn.weight is deconv.weight
    if prefix:
        in_mask = torch.tensor([1, 1, 1, 1, 0, 0], dtype=torch.bool)
        out_mask = torch.tensor([1, 1, 1, 0, 0], dtype=torch.bool)
    else:
        in_mask = torch.tensor([1, 0, 1, 1, 0, 1], dtype=torch.bool)
        out_mask = torch.tensor([0, 1, 1, 0, 1], dtype=torch.bool)
    _mask(dyn, in_mask, False)
    _mask(dyn, out_mask, True)
    x = torch.rand(2, 6, 5, 5)
    x0 = x.clone()
    x0[:, ~in_mask] = 0  # pruned inputs: as if they were zero
    expected = deconv(x0)[:, out_mask]
    out = dyn(x[:, in_mask])
    assert out.shape == (2, 3, 10, 10)
    torch.testing.assert_close(out, expected)
    static = dyn.to_static_op()
    assert type(static) is nn.ConvTranspose2d
    assert (static.in_channels, static.out_channels) == (4, 3)
    assert (static.stride, static.padding) == ((2, 2), (1, 1))
    torch.testing.assert_close(static(x[:, in_mask]), expected)


def test_grouped_masks_are_an_error_naming_the_op():
    dyn = DynamicConvTranspose2d.convert_from(
        nn.ConvTranspose2d(4, 4, 2, groups=2))
    _mask(dyn, torch.tensor([1, 1, 1, 0], dtype=torch.bool), False)
    with pytest.raises(ValueError, match=r'DynamicConvTranspose2d\(groups=2'):
        dyn(torch.rand(1, 3, 3, 3))


class Head(nn.Module):
    """conv -> deconv -> BN -> ReLU -> deconv (bias) -> 1x1 conv."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.deconv1 = nn.ConvTranspose2d(
            8, 6, 4, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.deconv2 = nn.ConvTranspose2d(6, 6, 4, stride=2, padding=1)
        self.final = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        x = self.deconv1(self.conv1(x).relu())
        return self.final(self.deconv2(self.bn(x).relu()))


@pytest.mark.parametrize('tracer', ['BackwardTracer', 'FxTracer'])
def test_units_through_deconvolutions_prune_and_export(tracer):
    """The channels that feed a deconvolution, and those it produces, are
    units; pruned, counted and exported static, the outputs agree."""
    torch.manual_seed(0)
    model = Head().eval()
    mutator = ChannelMutator(
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='number')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(type='BaseDemoInput', input_shape=(1, 3, 8, 8)),
            tracer_type=tracer))
    mutator.prepare_from_supernet(model)
    assert mutator.current_choices == {
        'conv1_(0, 8)_8': 8,
        'deconv1_(0, 6)_6': 6,
        'deconv2_(0, 6)_6': 6
    }
    assert isinstance(model.deconv1, DynamicConvTranspose2d)
    mutator.set_choices({
        'conv1_(0, 8)_8': 5,
        'deconv1_(0, 6)_6': 4,
        'deconv2_(0, 6)_6': 3
    })
    x = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        pruned = model(x)
    estimator = ResourceEstimator(
        input_shape=(1, 3, 8, 8), units=dict(flops=None, params=None))
    dynamic_counts = estimator.estimate(model)
    static = copy.deepcopy(model)
    mutator.fix_channel_mutables()
    _dynamic_to_static(static)
    assert not any(
        isinstance(m, DynamicConvTranspose2d) for m in static.modules())
    widths = (static.deconv1.in_channels, static.deconv1.out_channels,
              static.deconv2.in_channels, static.deconv2.out_channels)
    assert widths == (5, 4, 4, 3)
    with torch.no_grad():
        torch.testing.assert_close(static(x), pruned)
    static_counts = estimator.estimate(static)
    assert dynamic_counts['flops'] == static_counts['flops']
    assert dynamic_counts['params'] == static_counts['params']
    num_params = sum(p.numel() for p in static.parameters())
    assert dynamic_counts['params'] == num_params
    full = estimator.estimate(Head().eval())
    assert dynamic_counts['flops'] < full['flops']
    # deconv2 alone: 4 in x 3 out x 4x4 kernel at 16x16 input positions,
    # plus its bias at the 32x32 outputs
    only = ResourceEstimator(
        input_shape=(1, 4, 16, 16), units=dict(flops=None, params=None))
    assert only.estimate(static.deconv2)['flops'] == \
        4 * 3 * 16 * 16 * 16 + 3 * 32 * 32
