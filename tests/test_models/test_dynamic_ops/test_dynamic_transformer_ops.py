# Copyright (c) OpenMMLab. All rights reserved.
"""AutoFormer dynamic ops: forward at a choice == exported static op,
FLOPs/params counters, bad registrations."""
import pytest
import torch
from torch import nn

from mmrazor.models.architectures.dynamic_ops import (
    DynamicLayerNorm, DynamicMultiheadAttention, DynamicPatchEmbed,
    DynamicRelativePosition2D)
from mmrazor.models.architectures.ops import (MultiheadAttention,
                                              RelativePosition2D)
from mmrazor.models.mutables import (MutableChannelContainer,
                                     OneShotMutableChannel,
                                     OneShotMutableValue)
from mmrazor.models.task_modules.estimators.counters import \
    get_model_flops_params


def _count(model, input_constructor=None, input_shape=(1, )):
    return get_model_flops_params(
        model,
        input_shape=input_shape,
        input_constructor=input_constructor,
        units=dict(flops=None, params=None))


class _Wrap(nn.Module):
    """Calls a module with a fixed tensor (for the counters)."""

    def __init__(self, module, x):
        super().__init__()
        self.module = module
        self.x = x

    def forward(self, _):
        return self.module(self.x)


def _attention_with_mutables(relative_position=True):
    torch.manual_seed(0)
    attn = DynamicMultiheadAttention(
        embed_dims=32,
        num_heads=4,
        head_dims=8,
        max_relative_position=2,
        relative_position=relative_position)
    heads = OneShotMutableValue(value_list=[2, 3, 4], default_value=4)
    embed = OneShotMutableChannel(32, candidate_choices=[16, 24, 32])
    head_dims = OneShotMutableChannel(8, candidate_choices=[8])
    q_embed = head_dims * heads
    attn.register_mutable_attr('num_heads', heads)
    attn.register_mutable_attr('embed_dims', embed)
    attn.register_mutable_attr('q_embed_dims', q_embed)
    if relative_position:
        attn.rel_pos_embed_k.register_mutable_attr('head_dims', head_dims)
        attn.rel_pos_embed_v.register_mutable_attr('head_dims', head_dims)
    attn.eval()
    return attn, heads, embed, head_dims


def _tokens(embed, side=3, batch=2):
    torch.manual_seed(1)
    return torch.randn(batch, 1 + side * side, embed)


@pytest.mark.parametrize('relative_position', [True, False])
@pytest.mark.parametrize('num_heads, embed_dims', [(2, 16), (3, 24), (4, 32),
                                                   (3, 16)])
def test_attention_dynamic_equals_static(relative_position, num_heads,
                                         embed_dims):
    attn, heads, embed, _ = _attention_with_mutables(relative_position)
    heads.current_choice = num_heads
    embed.current_choice = embed_dims
    x = _tokens(embed_dims)
    out = attn(x)
    assert out.shape == (2, 10, embed_dims)
    heads.fix_chosen(num_heads)
    static = attn.to_static_op()
    assert type(static) is MultiheadAttention
    assert static.num_heads == num_heads and static.head_dims == 8
    assert static.w_qs.weight.shape == (num_heads * 8, embed_dims)
    assert static.proj.weight.shape == (embed_dims, num_heads * 8)
    torch.testing.assert_close(static(x), out, rtol=1e-5, atol=1e-6)


def test_attention_is_a_slice_of_the_supernet():
    """The subnet uses the leading heads: heads 0..h-1 of the max network
    (checked against a plain PyTorch attention without positions)."""
    attn, heads, embed, _ = _attention_with_mutables(False)
    heads.current_choice = 2
    embed.current_choice = 16
    x = _tokens(16)
    q = x @ attn.w_qs.weight[:16, :16].t() + attn.w_qs.bias[:16]
    k = x @ attn.w_ks.weight[:16, :16].t() + attn.w_ks.bias[:16]
    v = x @ attn.w_vs.weight[:16, :16].t() + attn.w_vs.bias[:16]
    B, N, _ = x.shape
    q, k, v = (t.view(B, N, 2, 8).transpose(1, 2) for t in (q, k, v))
    w = (q @ k.transpose(-1, -2) * 8**-0.5).softmax(-1)
    o = (w @ v).transpose(1, 2).reshape(B, N, 16)
    o = o @ attn.proj.weight[:16, :16].t() + attn.proj.bias[:16]
    torch.testing.assert_close(attn(x), o, rtol=1e-5, atol=1e-6)


def test_relative_position_dynamic_equals_static_and_index():
    torch.manual_seed(0)
    rel = DynamicRelativePosition2D(8, max_relative_position=1)
    mutable = OneShotMutableChannel(8, candidate_choices=[4, 8])
    rel.register_mutable_attr('head_dims', mutable)
    mutable.current_choice = 4
    out = rel(5, 5)  # cls + 2x2 patches
    assert out.shape == (5, 5, 4)
    v, h = rel.embeddings_table_v[:, :4], rel.embeddings_table_h[:, :4]
    # cls pairs use row 0 of both tables
    torch.testing.assert_close(out[0, 3], v[0] + h[0])
    torch.testing.assert_close(out[2, 0], v[0] + h[0])
    # patch 0 (0, 0) -> patch 3 (1, 1): distances (+1, +1) -> index 1+1+1
    torch.testing.assert_close(out[1, 4], v[3] + h[3])
    # patch 1 (0, 1) -> patch 2 (1, 0): row +1 -> 3, col -1 -> 1
    torch.testing.assert_close(out[2, 3], v[3] + h[1])
    static = rel.to_static_op()
    assert type(static) is RelativePosition2D and static.head_dims == 4
    torch.testing.assert_close(static(5, 5), out)


def test_relative_position_clips_distances():
    rel = RelativePosition2D(2, max_relative_position=1)
    out = rel(10, 10)  # 3x3 grid; patch (0,0) -> (2,2) clipped to +1
    v, h = rel.embeddings_table_v, rel.embeddings_table_h
    torch.testing.assert_close(out[1, 9], v[3] + h[3])
    torch.testing.assert_close(out[9, 1], v[1] + h[1])
    with pytest.raises(ValueError, match='square'):
        rel(7, 7)


@pytest.mark.parametrize('choice', [8, 12, 16])
def test_patch_embed_dynamic_equals_static(choice):
    torch.manual_seed(0)
    embed = DynamicPatchEmbed(
        img_size=8,
        in_channels=3,
        embed_dims=16,
        conv_cfg=dict(kernel_size=4, stride=4))
    mutable = OneShotMutableChannel(16, candidate_choices=[8, 12, 16])
    embed.register_mutable_attr('embed_dims', mutable)
    mutable.current_choice = choice
    x = torch.randn(2, 3, 8, 8)
    out = embed(x)
    assert out.shape == (2, 4, choice)
    static = embed.to_static_op()
    assert type(static).__name__ == 'PatchEmbed'
    assert static.projection.out_channels == choice
    torch.testing.assert_close(static(x), out)
    # the dynamic op converts back from the static mmcls PatchEmbed
    again = DynamicPatchEmbed.convert_from(static)
    torch.testing.assert_close(again(x), out)


def test_patch_embed_with_dynamic_norm():
    torch.manual_seed(0)
    embed = DynamicPatchEmbed(
        img_size=4,
        in_channels=1,
        embed_dims=8,
        norm_cfg=dict(type='mmrazor.DynamicLayerNorm'),
        conv_cfg=dict(kernel_size=2, stride=2))
    assert isinstance(embed.norm, DynamicLayerNorm)
    mutable = OneShotMutableChannel(8, candidate_choices=[4, 8])
    embed.register_mutable_attr('embed_dims', mutable)
    mutable.current_choice = 4
    x = torch.randn(1, 1, 4, 4)
    out = embed(x)
    assert out.shape == (1, 4, 4)
    torch.testing.assert_close(
        out.mean(-1), torch.zeros(1, 4), atol=1e-5, rtol=0)
    static = embed.to_static_op()
    assert type(static.norm) is nn.LayerNorm
    assert static.norm.normalized_shape == (4, )
    torch.testing.assert_close(static(x), out)
    with pytest.raises(ValueError, match='does not match'):
        embed(torch.randn(1, 1, 6, 6))


def test_layer_norm_dynamic_equals_static():
    torch.manual_seed(0)
    ln = DynamicLayerNorm(12)
    nn.init.normal_(ln.weight)
    nn.init.normal_(ln.bias)
    mutable = OneShotMutableChannel(12, candidate_choices=[6, 12])
    MutableChannelContainer.register_mutable_channel_to_module(
        ln, mutable, True)
    mutable.current_choice = 6
    x = torch.randn(2, 5, 6)
    out = ln(x)
    static = ln.to_static_op()
    assert type(static) is nn.LayerNorm and static.normalized_shape == (6, )
    torch.testing.assert_close(static(x), out)
    ref = nn.functional.layer_norm(x, (6, ), ln.weight[:6], ln.bias[:6])
    torch.testing.assert_close(out, ref)


# ---------------------------------------------------------------- counters
def test_attention_counter_matches_static_and_formula():
    attn, heads, embed, _ = _attention_with_mutables(True)
    heads.current_choice = 3
    embed.current_choice = 24
    x = _tokens(24)  # 2 x 10 tokens
    flops, params = _count(_Wrap(attn, x))
    q, e, tokens = 24, 24, 20
    proj = 4 * (q * e) + 3 * q + e
    tables = 2 * 2 * (2 * 2 + 2) * 8  # k and v, vertical and horizontal
    assert params == proj + tables
    rel_flops = 2 * 10 * 10 * 8
    assert flops == tokens * proj + rel_flops
    heads.fix_chosen(3)
    static = attn.to_static_op()
    assert _count(_Wrap(static, x)) == (flops, params)
    # the supernet at its max choice counts more
    heads2 = _attention_with_mutables(True)[0]
    flops_max, params_max = _count(_Wrap(heads2, _tokens(32)))
    assert params_max == 4 * 32 * 32 + 3 * 32 + 32 + tables
    assert flops_max > flops


def test_patch_embed_and_layer_norm_counters_match_static():
    embed = DynamicPatchEmbed(
        img_size=8,
        in_channels=3,
        embed_dims=16,
        conv_cfg=dict(kernel_size=4, stride=4))
    mutable = OneShotMutableChannel(16, candidate_choices=[8, 16])
    embed.register_mutable_attr('embed_dims', mutable)
    mutable.current_choice = 8
    x = torch.randn(1, 3, 8, 8)
    flops, params = _count(_Wrap(embed, x))
    assert params == 8 * 3 * 4 * 4 + 8
    assert flops == 4 * params  # 4 patches
    assert _count(_Wrap(embed.to_static_op(), x)) == (flops, params)


# --------------------------------------------------------------- bad input
def test_bad_registrations():
    attn = DynamicMultiheadAttention(embed_dims=16, num_heads=2, head_dims=8)
    with pytest.raises(ValueError, match=r'num_heads choices \[1, 3\]'):
        attn.register_mutable_attr('num_heads',
                                   OneShotMutableValue(value_list=[1, 3]))
    with pytest.raises(ValueError, match='12 channels, expected 16'):
        attn.register_mutable_attr('embed_dims',
                                   OneShotMutableChannel(12, [12]))
    with pytest.raises(ValueError, match='does not accept'):
        attn.register_mutable_attr('depth',
                                   OneShotMutableValue(value_list=[1]))
    embed = DynamicPatchEmbed(img_size=4, embed_dims=8)
    with pytest.raises(ValueError, match='expected 8'):
        embed.register_mutable_attr('embed_dims',
                                    OneShotMutableChannel(6, [6]))


def test_unfixed_num_heads_cannot_be_exported():
    attn, heads, _, _ = _attention_with_mutables(False)
    with pytest.raises(RuntimeError, match='num_heads.*not fixed'):
        attn.to_static_op()


def test_mismatched_head_dims_raise():
    attn, heads, embed, head_dims = _attention_with_mutables(True)
    # the relative positions use 8 dims per head; a q_embed_dims mutable
    # giving 6 dims per head must be refused
    other = OneShotMutableChannel(32, candidate_choices=[18, 32])
    attn.register_mutable_attr('q_embed_dims', other)
    other.current_choice = 18
    heads.current_choice = 3
    with pytest.raises(RuntimeError, match='head_dims 8'):
        attn(_tokens(32))


def test_expanded_mask_size_survives_fixing_the_ratio():
    """``channel * value``: fixing the value (its choices narrow to one)
    keeps the mask size, so the ops it is registered to keep working."""
    channel = OneShotMutableChannel(8, candidate_choices=[8])
    heads = OneShotMutableValue(value_list=[2, 3, 4])
    derived = channel * heads
    heads.current_choice = 3
    assert derived.current_mask.numel() == 32
    heads.fix_chosen(3)
    mask = derived.current_mask
    assert mask.numel() == 32 and int(mask.sum()) == 24
    assert bool(mask[:24].all())


def test_attention_converts_from_the_static_op():
    torch.manual_seed(0)
    static = MultiheadAttention(
        embed_dims=16, num_heads=2, head_dims=8, max_relative_position=2)
    static.eval()
    dynamic = DynamicMultiheadAttention.convert_from(static)
    assert isinstance(dynamic.rel_pos_embed_k, DynamicRelativePosition2D)
    assert dynamic.w_qs.weight is static.w_qs.weight  # shared, not copied
    x = _tokens(16)
    torch.testing.assert_close(dynamic(x), static(x))
    heads = OneShotMutableValue(value_list=[1, 2])
    dynamic.register_mutable_attr('num_heads', heads)
    dynamic.register_mutable_attr('q_embed_dims',
                                  OneShotMutableChannel(8, [8]) * heads)
    heads.fix_chosen(1)
    small = dynamic.to_static_op()
    assert small.num_heads == 1 and small.w_qs.out_features == 8
    torch.testing.assert_close(small(x), dynamic(x))
