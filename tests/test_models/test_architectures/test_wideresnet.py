# Copyright (c) OpenMMLab. All rights reserved.
"""WideResNet: WRN-depth-k shapes and sizes, out_indices, frozen stages,
errors; it trains (the loss falls) inside an mmcls classifier."""
import pytest
import torch

from mmrazor.models import WideResNet
from mmrazor.registry import MODELS


@pytest.mark.parametrize('depth,k,params', [(16, 2, 0.69), (22, 4, 4.30),
                                            (28, 4, 5.85), (40, 2, 2.24)])
def test_wrn_sizes(depth, k, params):
    model = WideResNet(depth, widen_factor=k)
    n = sum(p.numel() for p in model.parameters()) / 1e6
    assert n == pytest.approx(params, abs=0.01)
    blocks = (depth - 4) // 6
    assert len(model.layer1) == len(model.layer3) == blocks


def test_outputs_and_freezing():
    model = WideResNet(
        16,
        widen_factor=2,
        out_indices=(0, 1, 2),
        frozen_stages=1,
        in_channels=1)
    outs = model(torch.randn(2, 1, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 32, 32), (2, 64, 16, 16),
                                              (2, 128, 8, 8)]
    assert (outs[2] >= 0).all()  # the final BN-ReLU
    model.train()
    assert not model.layer1.training and model.layer2.training
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())


def test_errors():
    with pytest.raises(ValueError, match='6n \\+ 4'):
        WideResNet(18)
    with pytest.raises(ValueError, match='out_indices'):
        WideResNet(16, out_indices=(3, ))


def test_classifier_trains():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='mmcls.ImageClassifier',
            backbone=dict(type='mmrazor.WideResNet', depth=10, widen_factor=1),
            neck=dict(type='mmcls.GlobalAveragePooling'),
            head=dict(
                type='mmcls.LinearClsHead',
                num_classes=3,
                in_channels=64,
                loss=dict(type='mmcls.CrossEntropyLoss'))))
    model.init_weights()
    from mmpretrain.structures import DataSample
    x = torch.randn(6, 3, 16, 16)
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    x[torch.arange(6) % 3 == 0] += 2  # a learnable signal
    optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(15):
        loss = model(x, samples, mode='loss')['loss']
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
