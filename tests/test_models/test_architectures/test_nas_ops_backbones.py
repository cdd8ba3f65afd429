# Copyright (c) OpenMMLab. All rights reserved.
import doctest

import pytest
import torch

import mmrazor.models.architectures.backbones.searchable_shufflenet_v2 as ssn
from mmrazor.models import (ConvBnAct, DepthwiseSeparableConv, Identity,
                            MBBlock, SearchableMobileNetV2,
                            SearchableShuffleNetV2, ShuffleBlock,
                            ShuffleXception)
from mmrazor.models.architectures.utils import channel_shuffle
from mmrazor.registry import MODELS


@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('op_type', ['shuffle3', 'shuffle7', 'xception'])
def test_shuffle_ops(stride, op_type):
    in_c = 16 if stride == 1 else 8
    if op_type == 'xception':
        op = ShuffleXception(in_c, 16, stride=stride)
    else:
        op = ShuffleBlock(
            in_c, 16, kernel_size=int(op_type[-1]), stride=stride)
    out = op(torch.rand(2, in_c, 8, 8))
    assert out.shape == (2, 16, 8 // stride, 8 // stride)
    assert hasattr(op, 'branch1') == (stride == 2)


def test_shuffle_op_errors():
    with pytest.raises(ValueError, match='kernel_size'):
        ShuffleBlock(16, 16, kernel_size=4)
    with pytest.raises(ValueError, match='stride 1'):
        ShuffleBlock(8, 16, kernel_size=3, stride=1)
    with pytest.raises(ValueError, match='positive'):
        Identity(0, 4)


def test_channel_shuffle():
    x = torch.arange(4.).view(1, 4, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 2, 1, 3]
    with pytest.raises(ValueError):
        channel_shuffle(x, 3)


def test_mobilenet_style_ops():
    x = torch.rand(2, 8, 8, 8)
    mb = MBBlock(
        8, 8, kernel_size=5, expand_ratio=3, se_cfg=dict(ratio=4, divisor=1))
    assert mb.with_res_shortcut and mb.mid_channels == 24
    assert mb(x).shape == (2, 8, 8, 8)
    mb2 = MBBlock(8, 16, stride=2, with_attentive_shortcut=True)
    assert mb2(x).shape == (2, 16, 4, 4)
    # identity: a real identity unless the shape changes
    assert torch.equal(Identity(8, 8)(x), x)
    assert Identity(8, 16, stride=2)(x).shape == (2, 16, 4, 4)
    cba = ConvBnAct(8, 8, kernel_size=3, skip=True)
    assert cba.has_residual and cba(x).shape == x.shape
    dsc = DepthwiseSeparableConv(8, 12, stride=2, se_cfg=dict(ratio=4))
    assert dsc(x).shape == (2, 12, 4, 4) and not dsc.has_residual
    for name in ('MBBlock', 'Identity', 'ConvBnAct', 'DepthwiseSeparableConv',
                 'ShuffleBlock', 'ShuffleXception'):
        assert MODELS.get(name) is not None


def _mutable(candidates):
    return dict(type='mmrazor.OneShotMutableOP', candidates=candidates)


def test_searchable_shufflenet():
    result = doctest.testmod(ssn)
    assert result.failed == 0 and result.attempted > 0
    mutable = _mutable(
        dict(
            shuffle_3x3=dict(type='mmrazor.ShuffleBlock', kernel_size=3),
            shuffle_xception=dict(type='mmrazor.ShuffleXception')))
    net = SearchableShuffleNetV2(
        arch_setting=[[16, 2, mutable], [32, 1, mutable]],
        in_channels=1,
        out_indices=(0, 2),
        frozen_stages=1,
        norm_eval=True)
    net.init_weights()
    net.train()
    outs = net(torch.rand(2, 1, 32, 32))
    assert [o.shape for o in outs] == [(2, 16, 8, 8), (2, 1024, 4, 4)]
    assert not any(p.requires_grad for p in net.layers[0].parameters())
    assert not net.layers[1][0]._candidates['shuffle_3x3'].branch2[0] \
        .bn.training
    blocks = [
        m for m in net.modules() if type(m).__name__ == 'OneShotMutableOP'
    ]
    assert len(blocks) == 3
    assert blocks[0]._candidates['shuffle_3x3'].stride == 2
    assert blocks[1]._candidates['shuffle_3x3'].stride == 1
    with pytest.raises(ValueError, match='out_indices'):
        SearchableShuffleNetV2(
            arch_setting=[[16, 1, mutable]], out_indices=(5, ))
    with pytest.raises(ValueError, match='channels, num_blocks'):
        SearchableShuffleNetV2(arch_setting=[[16, 1]], out_indices=(0, ))


def test_searchable_mobilenet():
    first = _mutable(
        dict(
            mb_k3e1=dict(
                type='mmrazor.MBBlock', kernel_size=3, expand_ratio=1)))
    other = _mutable(
        dict(
            mb_k3e3=dict(
                type='mmrazor.MBBlock', kernel_size=3, expand_ratio=3),
            identity=dict(type='mmrazor.Identity')))
    net = SearchableMobileNetV2(
        arch_setting=[[8, 1, 1, first], [16, 2, 2, other]],
        first_channels=8,
        last_channels=32,
        out_indices=(1, 2))
    net.init_weights()
    outs = net(torch.rand(2, 3, 16, 16))
    assert [o.shape for o in outs] == [(2, 16, 4, 4), (2, 32, 4, 4)]
    with pytest.raises(ValueError, match='frozen_stages'):
        SearchableMobileNetV2(
            arch_setting=[[8, 1, 1, first]],
            out_indices=(0, ),
            frozen_stages=5)
