# Copyright (c) OpenMMLab. All rights reserved.
"""BigNasConv2d (centre crop), OFAConv2d (transform matrices) and
DynamicSequential (depth): dynamic at a fixed choice == exported static op;
FLOPs/params counters count the active kernel and depth."""
import pytest
import torch
from torch import nn

from mmrazor.models.architectures.dynamic_ops import (BigNasConv2d,
                                                      DynamicSequential,
                                                      OFAConv2d)
from mmrazor.models.mutables import (MutableChannelContainer,
                                     OneShotMutableChannel,
                                     OneShotMutableValue)
from mmrazor.models.task_modules.estimators.counters import \
    get_model_flops_params


def _conv(cls, groups=1, kernels=(3, 5, 7)):
    torch.manual_seed(0)
    ch = 8
    conv = cls(ch, ch, 7, padding=3, groups=groups if groups else ch)
    kernel = OneShotMutableValue(list(kernels), alias='k')
    conv.register_mutable_attr('kernel_size', kernel)
    channels = OneShotMutableChannel(ch, candidate_choices=[4, 8])
    MutableChannelContainer.register_mutable_channel_to_module(
        conv, channels, True)
    if conv.groups == ch:
        MutableChannelContainer.register_mutable_channel_to_module(
            conv, channels, False)
    return conv, kernel, channels


@pytest.mark.parametrize('cls', [BigNasConv2d, OFAConv2d])
@pytest.mark.parametrize('groups', [1, 0])  # 0: depthwise
@pytest.mark.parametrize('k', [3, 5, 7])
def test_kernel_search_equals_static(cls, groups, k):
    conv, kernel, channels = _conv(cls, groups)
    if cls is OFAConv2d:  # non-identity matrices
        with torch.no_grad():
            for name in ('trans_matrix_7to5', 'trans_matrix_5to3'):
                p = getattr(conv, name)
                p.add_(torch.randn_like(p) * 0.1)
    kernel.current_choice = k
    channels.current_choice = 4
    x = torch.rand(2, 8 if conv.groups == 1 else 4, 9, 9)
    out = conv(x)
    assert out.shape == (2, 4, 9, 9)  # 'same' padding for every kernel
    kernel.fix_chosen(k)
    static = conv.to_static_op()
    assert type(static) is nn.Conv2d
    assert static.kernel_size == (k, k) and static.padding == (k // 2, ) * 2
    torch.testing.assert_close(static(x), out)


def test_bignas_centre_crop_values():
    conv, kernel, _ = _conv(BigNasConv2d)
    kernel.current_choice = 3
    weight, _, _ = conv.get_dynamic_params()
    torch.testing.assert_close(weight, conv.weight[:, :, 2:5, 2:5])


def test_ofa_transform_matrices():
    conv, kernel, _ = _conv(OFAConv2d)
    names = sorted(n for n, _ in conv.named_parameters() if 'trans' in n)
    assert names == ['trans_matrix_5to3', 'trans_matrix_7to5']
    assert conv.trans_matrix_7to5.shape == (25, 25)
    torch.testing.assert_close(conv.trans_matrix_5to3, torch.eye(9))
    with torch.no_grad():
        conv.trans_matrix_7to5.copy_(torch.eye(25) * 2)
        conv.trans_matrix_5to3.copy_(torch.eye(9) * 3)
    kernel.current_choice = 3
    weight, _, _ = conv.get_dynamic_params()
    # progressive: crop 7->5, x2, crop 5->3, x3
    torch.testing.assert_close(weight, conv.weight[:, :, 2:5, 2:5] * 6)
    kernel.current_choice = 5
    torch.testing.assert_close(conv.get_dynamic_params()[0],
                               conv.weight[:, :, 1:6, 1:6] * 2)
    # gradients reach the matrices
    conv(torch.rand(1, 8, 7, 7)).sum().backward()
    assert conv.trans_matrix_7to5.grad is not None
    assert conv.trans_matrix_5to3.grad is None  # not used by k=5


@pytest.mark.parametrize('cls', [BigNasConv2d, OFAConv2d])
def test_kernel_choices_outside_space(cls):
    conv = cls(4, 4, 5, padding=2)
    with pytest.raises(ValueError, match=r'`stage1.k`.*\[3, 7\].*\[1, 3, 5\]'):
        conv.register_mutable_attr(
            'kernel_size', OneShotMutableValue([3, 7], alias='stage1.k'))
    with pytest.raises(ValueError, match='allowed are odd'):
        conv.register_mutable_attr('kernel_size',
                                   OneShotMutableValue([2, 4]))


def test_kernel_counter_counts_active_kernel():
    conv, kernel, channels = _conv(BigNasConv2d)
    model = nn.Sequential(conv)
    kernel.current_choice = 3
    channels.current_choice = 4
    flops, params = get_model_flops_params(
        model, input_shape=(1, 8, 6, 6), units=None)
    w = 4 * 8 * 3 * 3
    assert params == w + 4
    assert flops == (w + 4) * 36
    kernel.current_choice = 7
    flops7, params7 = get_model_flops_params(
        model, input_shape=(1, 8, 6, 6), units=None)
    assert params7 == 4 * 8 * 49 + 4


def test_dynamic_sequential_depth_equals_static():
    torch.manual_seed(0)
    seq = DynamicSequential(*[nn.Conv2d(3, 3, 1) for _ in range(4)])
    depth = OneShotMutableValue([1, 2, 3, 4], alias='depth')
    seq.register_mutable_attr('depth', depth)
    x = torch.rand(1, 3, 4, 4)
    depth.current_choice = 2
    out = seq(x)
    torch.testing.assert_close(out, seq[1](seq[0](x)))
    flops, params = get_model_flops_params(
        nn.Sequential(seq), input_shape=(1, 3, 4, 4), units=None)
    assert params == 2 * 12  # only the 2 active convs
    depth.fix_chosen(2)
    static = seq.to_static_op()
    assert type(static) is nn.Sequential and len(static) == 2
    torch.testing.assert_close(static(x), out)
