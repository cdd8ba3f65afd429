# Copyright (c) OpenMMLab. All rights reserved.
"""SwitchableBatchNorm2d (private BN per width) and FuseConv2d (DCFF filter
fusion), with their FLOPs counters and static export."""
import pytest
import torch
from torch import nn

from mmrazor.models.architectures.dynamic_ops import (FuseConv2d,
                                                      SwitchableBatchNorm2d)
from mmrazor.models.mutables import SquentialMutableChannel
from mmrazor.models.task_modules.estimators.counters import \
    get_model_flops_params


def _switchable(num=8, candidates=(4, 8)):
    bn = SwitchableBatchNorm2d.convert_from(nn.BatchNorm2d(num))
    mutable = SquentialMutableChannel(num)
    bn.register_mutable_attr('num_features', mutable)
    bn.init_candidates(candidates)
    return bn, mutable


def test_switchable_bn_keeps_statistics_per_width():
    torch.manual_seed(0)
    bn, mutable = _switchable()
    assert bn.candidates == [4, 8]
    bn.train()
    mutable.current_choice = 4
    bn(torch.randn(4, 4, 3, 3) + 5.)
    narrow_mean = bn.candidate_bn['4'].running_mean.clone()
    assert torch.all(narrow_mean > 0.4)
    # the wide BN and the shared BN did not move
    assert torch.all(bn.candidate_bn['8'].running_mean == 0)
    assert torch.all(bn.running_mean == 0)
    mutable.current_choice = 8
    bn(torch.randn(4, 8, 3, 3) - 5.)
    assert torch.all(bn.candidate_bn['8'].running_mean < -0.4)
    assert torch.equal(bn.candidate_bn['4'].running_mean, narrow_mean)
    # static export copies the private BN of the current width
    mutable.current_choice = 4
    static = bn.to_static_op()
    assert type(static) is nn.BatchNorm2d and static.num_features == 4
    assert torch.equal(static.running_mean, narrow_mean)
    bn.eval()
    static.eval()
    x = torch.randn(2, 4, 3, 3)
    assert torch.allclose(bn(x), static(x))


def test_switchable_bn_errors_and_counter():
    bn, mutable = _switchable()
    mutable.current_choice = 6
    with pytest.raises(ValueError, match=r'no private BN for 6 channels'):
        bn(torch.randn(2, 6, 3, 3))
    with pytest.raises(ValueError, match=r'candidate 9 is not in \[1, 8\]'):
        bn.init_candidates([9])
    mutable.current_choice = 4
    model = nn.Sequential(bn)
    flops, params = get_model_flops_params(
        model,
        input_shape=(1, 4, 3, 3),
        print_per_layer_stat=False,
        as_strings=False,
        units=None)
    # counted once (the private BNs are not run as modules): affine BN is
    # two FLOPs per element and two parameters per kept channel
    assert flops == 2 * 4 * 9
    assert params == 2 * 4


def _fuse_conv(out_channels=6, keep=3):
    torch.manual_seed(0)
    conv = FuseConv2d.convert_from(nn.Conv2d(2, out_channels, 3, bias=True))
    mutable = SquentialMutableChannel(out_channels)
    conv.register_mutable_attr('out_channels', mutable)
    mutable.current_choice = keep
    return conv, mutable


def test_fuse_conv_fuses_filters_and_exports():
    conv, _ = _fuse_conv()
    x = torch.randn(2, 2, 5, 5)
    # no fusion matrix yet: the leftmost filters
    leftmost = nn.functional.conv2d(x, conv.weight[:3], conv.bias[:3])
    assert torch.allclose(conv(x), leftmost)
    choice = conv.get_pooled_channel(tau=1.0)
    assert choice.shape == (3, 6)
    assert torch.allclose(choice.sum(1), torch.ones(3))
    conv.set_forward_args(choice=choice)
    fused_w = (choice @ conv.weight.reshape(6, -1)).reshape(3, 2, 3, 3)
    fused_b = choice @ conv.bias
    expected = nn.functional.conv2d(x, fused_w, fused_b)
    assert torch.allclose(conv(x), expected, atol=1e-5)
    static = conv.to_static_op()
    assert type(static) is nn.Conv2d and static.out_channels == 3
    assert torch.allclose(static(x), expected, atol=1e-5)
    # FLOPs of the fused (kept) filters only
    flops, _ = get_model_flops_params(
        nn.Sequential(conv),
        input_shape=(1, 2, 5, 5),
        print_per_layer_stat=False,
        as_strings=False,
        units=None)
    assert flops == (3 * 2 * 9 + 3) * 9


def test_fuse_conv_temperature_and_errors():
    conv, mutable = _fuse_conv()
    # a low temperature approaches selection: one-hot rows of kept filters
    sharp = conv.get_pooled_channel(tau=1e-4)
    assert torch.allclose(sharp.max(1).values, torch.ones(3))
    broad = conv.get_pooled_channel(tau=10.)
    assert float(broad.max()) < 0.5
    with pytest.raises(ValueError, match='temperature must be > 0'):
        conv.get_pooled_channel(0.)
    with pytest.raises(ValueError, match=r'must be \(k, 6\)'):
        conv.set_forward_args(choice=torch.ones(3, 5))
    conv.set_forward_args(choice=sharp)
    mutable.current_choice = 4
    with pytest.raises(ValueError, match='keeps 3 filters but 4 output'):
        conv(torch.randn(1, 2, 5, 5))
