# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
from torch import nn

from mmrazor.models.architectures.dynamic_ops import (
    DynamicBatchNorm2d, DynamicConv2d, DynamicGroupNorm, DynamicLayerNorm,
    DynamicLinear, DynamicSequential)
from mmrazor.models.mutables import (MutableChannelContainer,
                                     SimpleMutableChannel)


def _register(op, in_mask=None, out_mask=None):
    muts = []
    for mask, is_out in ((in_mask, False), (out_mask, True)):
        if mask is None:
            continue
        m = SimpleMutableChannel(mask.numel())
        m.current_choice = mask
        MutableChannelContainer.register_mutable_channel_to_module(
            op, m, is_out)
        muts.append(m)
    return muts


@pytest.mark.parametrize('groups', [1, 2])
def test_dynamic_conv_equals_sliced_conv(groups):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 12, 3, padding=1, groups=groups, bias=True)
    dyn = DynamicConv2d.convert_from(conv)
    assert torch.equal(dyn.weight, conv.weight)
    in_mask = torch.tensor([1, 0, 1, 1, 0, 1, 1, 1], dtype=torch.bool)
    out_mask = torch.ones(12, dtype=torch.bool)
    out_mask[[1, 7]] = False
    if groups == 2:  # keep the group structure: 3 in + 5 out per group
        in_mask = torch.tensor([1, 0, 1, 1, 0, 1, 1, 1], dtype=torch.bool)
        in_mask = torch.tensor([1, 1, 1, 0, 1, 0, 1, 1], dtype=torch.bool)
    _register(dyn, in_mask, out_mask)
    x = torch.rand(2, 8, 6, 6)
    full = conv(x)[:, out_mask]
    out = dyn(x[:, in_mask])
    static = dyn.to_static_op()
    assert type(static) is nn.Conv2d
    assert static.groups == groups
    assert static.weight.shape[0] == int(out_mask.sum())
    assert torch.allclose(static(x[:, in_mask]), out, atol=1e-6)
    if groups == 1:
        # pruned input channels set to zero give the same result
        x0 = x.clone()
        x0[:, ~in_mask] = 0
        assert torch.allclose(conv(x0)[:, out_mask], out, atol=1e-5)
    assert full.shape == out.shape


def test_depthwise_conv_drops_groups():
    conv = nn.Conv2d(6, 6, 3, padding=1, groups=6)
    dyn = DynamicConv2d.convert_from(conv)
    mask = torch.tensor([1, 0, 1, 1, 0, 1], dtype=torch.bool)
    m = SimpleMutableChannel(6)
    m.current_choice = mask
    MutableChannelContainer.register_mutable_channel_to_module(dyn, m, True)
    MutableChannelContainer.register_mutable_channel_to_module(dyn, m, False)
    x = torch.rand(1, 6, 5, 5)
    out = dyn(x[:, mask])
    assert torch.allclose(out, conv(x)[:, mask], atol=1e-6)
    static = dyn.to_static_op()
    assert static.groups == 4 and static.in_channels == 4


def test_group_conv_broken_structure_raises():
    dyn = DynamicConv2d(4, 4, 1, groups=2)
    _register(dyn, torch.tensor([1, 1, 1, 0], dtype=torch.bool))
    with pytest.raises(ValueError, match='group structure'):
        dyn.get_dynamic_params()


def test_dynamic_linear_and_layernorm():
    lin = nn.Linear(6, 4)
    dyn = DynamicLinear.convert_from(lin)
    in_mask = torch.tensor([1, 1, 0, 1, 0, 1], dtype=torch.bool)
    out_mask = torch.tensor([1, 0, 1, 1], dtype=torch.bool)
    _register(dyn, in_mask, out_mask)
    x = torch.rand(3, 6)
    x0 = x.clone()
    x0[:, ~in_mask] = 0
    assert torch.allclose(dyn(x[:, in_mask]), lin(x0)[:, out_mask], atol=1e-6)
    st = dyn.to_static_op()
    assert (st.in_features, st.out_features) == (4, 3)
    ln = DynamicLayerNorm.convert_from(nn.LayerNorm(6))
    _register(ln, out_mask=in_mask)
    y = ln(x[:, in_mask])
    assert torch.allclose(ln.to_static_op()(x[:, in_mask]), y)


def test_dynamic_bn_writes_back_running_stats():
    bn = DynamicBatchNorm2d.convert_from(nn.BatchNorm2d(4))
    mask = torch.tensor([1, 0, 1, 1], dtype=torch.bool)
    _register(bn, out_mask=mask)
    bn.train()
    bn(torch.randn(8, 3, 4, 4) + 5)
    assert bn.running_mean[1] == 0  # pruned channel untouched
    assert (bn.running_mean[mask] > 0.3).all()
    assert int(bn.num_batches_tracked) == 1
    static = bn.to_static_op().eval()
    bn.eval()
    x = torch.randn(2, 3, 4, 4)
    assert torch.allclose(static(x), bn(x))
    assert static.num_features == 3


def test_register_unknown_attr_raises():
    with pytest.raises(ValueError, match='does not accept'):
        DynamicConv2d(2, 2, 1).register_mutable_attr('kernel_size',
                                                     SimpleMutableChannel(2))


def test_dynamic_sequential_depth():
    from mmrazor.models.mutables import OneShotMutableValue
    seq = DynamicSequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    depth = OneShotMutableValue(value_list=[1, 2, 3])
    seq.register_mutable_attr('depth', depth)
    depth.current_choice = 1
    x = torch.rand(1, 2)
    assert torch.allclose(seq(x), seq[0](x))
    with pytest.raises(RuntimeError, match='not fixed'):
        seq.to_static_op()
    depth.fix_chosen(1)
    assert len(seq.to_static_op()) == 1


def _prefix(n, k):
    mask = torch.zeros(n, dtype=torch.bool)
    mask[:k] = True
    return mask


def test_prefix_masks_slice_views_equal_to_masked_ops():
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 12, 3, padding=1)
    dyn = DynamicConv2d.convert_from(conv)
    in_mask, out_mask = _prefix(8, 5), _prefix(12, 7)
    _register(dyn, in_mask, out_mask)
    weight, bias, groups = dyn.get_dynamic_params()
    # a view of the full weight (no copy), same values as mask indexing
    assert weight.data_ptr() == conv.weight.data_ptr()
    assert torch.equal(weight, conv.weight[out_mask][:, in_mask])
    assert torch.equal(bias, conv.bias[out_mask]) and groups == 1
    x = torch.rand(2, 8, 6, 6)
    x0 = x.clone()
    x0[:, ~in_mask] = 0
    assert torch.allclose(dyn(x[:, :5]), conv(x0)[:, :7], atol=1e-5)
    assert dyn.to_static_op().weight.shape == (7, 5, 3, 3)

    dw = DynamicConv2d.convert_from(nn.Conv2d(6, 6, 3, padding=1, groups=6))
    m = SimpleMutableChannel(6)
    m.current_choice = _prefix(6, 4)
    MutableChannelContainer.register_mutable_channel_to_module(dw, m, True)
    MutableChannelContainer.register_mutable_channel_to_module(dw, m, False)
    w, _, g = dw.get_dynamic_params()
    assert g == 4 and w.shape == (4, 1, 3, 3)
    y = torch.rand(1, 6, 5, 5)
    assert torch.allclose(dw(y[:, :4]), dw.to_static_op()(y[:, :4]))

    lin = nn.Linear(6, 4)
    dl = DynamicLinear.convert_from(lin)
    _register(dl, _prefix(6, 3), _prefix(4, 2))
    w, b = dl.get_dynamic_params()
    assert w.data_ptr() == lin.weight.data_ptr()
    assert torch.equal(w, lin.weight[:2, :3]) and torch.equal(b, lin.bias[:2])


def test_dynamic_bn_prefix_mask_updates_stats_in_place():
    bn = DynamicBatchNorm2d.convert_from(nn.BatchNorm2d(4))
    _register(bn, out_mask=_prefix(4, 3))
    bn.train()
    bn(torch.randn(8, 3, 4, 4) + 5)
    assert bn.running_mean[3] == 0  # pruned channel untouched
    assert (bn.running_mean[:3] > 0.3).all()
    static = bn.to_static_op().eval()
    bn.eval()
    x = torch.randn(2, 3, 4, 4)
    assert static.num_features == 3
    assert torch.allclose(static(x), bn(x))


def test_dynamic_layer_norm_2d():
    from torchvision.models.convnext import LayerNorm2d

    from mmrazor.models.architectures.dynamic_ops import DynamicLayerNorm2d
    torch.manual_seed(0)
    ln = LayerNorm2d(6)
    nn.init.normal_(ln.weight)
    dyn = DynamicLayerNorm2d.convert_from(ln)
    x = torch.rand(2, 6, 3, 3)
    assert torch.allclose(dyn(x), ln(x))
    mask = torch.tensor([1, 0, 1, 1, 0, 1], dtype=torch.bool)
    _register(dyn, out_mask=mask)
    ref = LayerNorm2d(4)
    with torch.no_grad():
        ref.weight.copy_(ln.weight[mask])
        ref.bias.copy_(ln.bias[mask])
    assert torch.allclose(dyn(x[:, mask]), ref(x[:, mask]), atol=1e-6)
    # channels-last inputs (mmpretrain's data_format)
    y = x[:, mask].permute(0, 2, 3, 1)
    assert torch.allclose(
        dyn(y, data_format='channel_last').permute(0, 3, 1, 2),
        ref(x[:, mask]),
        atol=1e-6)
    static = dyn.to_static_op()
    assert type(static) is LayerNorm2d
    assert static.normalized_shape == (4, )
    assert torch.allclose(static(x[:, mask]), ref(x[:, mask]), atol=1e-6)


@pytest.mark.parametrize('prefix', [True, False])
def test_dynamic_group_norm_keeps_whole_groups(prefix):
    gn = nn.GroupNorm(3, 6)
    with torch.no_grad():
        gn.weight.uniform_()
        gn.bias.uniform_()
    dyn = DynamicGroupNorm.convert_from(gn)
    keep = [1, 1, 1, 1, 0, 0] if prefix else [1, 1, 0, 0, 1, 1]
    mask = torch.tensor(keep, dtype=torch.bool)
    _register(dyn, out_mask=mask)
    x = torch.rand(2, 6, 3, 3)
    # the kept groups are normalised exactly as in the full op
    torch.testing.assert_close(dyn(x[:, mask]), gn(x)[:, mask])
    static = dyn.to_static_op()
    assert (static.num_groups, static.num_channels) == (2, 4)
    torch.testing.assert_close(static(x[:, mask]), gn(x)[:, mask])


def test_dynamic_group_norm_rejects_a_split_group():
    dyn = DynamicGroupNorm.convert_from(nn.GroupNorm(2, 4))
    _register(dyn, out_mask=torch.tensor([1, 1, 1, 0], dtype=torch.bool))
    with pytest.raises(ValueError, match='whole groups'):
        dyn(torch.rand(1, 3, 2, 2))
