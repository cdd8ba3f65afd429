# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmrazor.models.architectures.connectors import (
    BYOTConnector, ConvModuleConnector, CRDConnector, FBKDStudentConnector,
    FBKDTeacherConnector, MGDConnector, NormConnector, OFDTeacherConnector,
    Paraphraser, TorchFunctionalConnector, TorchNNConnector, Translator)
from mmrazor.models.architectures.generators import (DAFLGenerator,
                                                     ZSKTGenerator)
from mmrazor.models.distillers.ofd_distiller import ofd_margin
from mmrazor.registry import MODELS

X = torch.randn(2, 4, 8, 8)


def test_convmodule_connector():
    c = ConvModuleConnector(4, 6, norm_cfg=dict(type='BN'))
    y = c(X)
    assert y.shape == (2, 6, 8, 8) and (y >= 0).all()
    c = ConvModuleConnector(4, 6, act_cfg=None, bias=True)
    ref = F.conv2d(X, c.conv_module.conv.weight, c.conv_module.conv.bias)
    assert torch.allclose(c(X), ref)


def test_torch_connectors():
    c = TorchFunctionalConnector('avg_pool2d', dict(kernel_size=2))
    assert torch.allclose(c(X), F.avg_pool2d(X, 2))
    c = TorchNNConnector('AdaptiveAvgPool2d', dict(output_size=1))
    assert torch.allclose(c(X), X.mean((2, 3), keepdim=True), atol=1e-6)
    with pytest.raises(ValueError, match='not_a_func'):
        TorchFunctionalConnector('not_a_func')
    with pytest.raises(ValueError, match='NotAModule'):
        TorchNNConnector('NotAModule')


def test_norm_and_crd_connector():
    c = NormConnector(4, dict(type='BN'))
    y = c(X)
    assert torch.allclose(y.mean((0, 2, 3)), torch.zeros(4), atol=1e-5)
    c = CRDConnector(dim_in=4 * 64, dim_out=16)
    y = c(X)
    assert y.shape == (2, 16)
    assert torch.allclose(y.norm(dim=1), torch.ones(2), atol=1e-5)


def test_ofd_connector_and_margin():
    c = OFDTeacherConnector()
    with pytest.raises(RuntimeError, match='margin'):
        c(X)
    c.init_margin(torch.tensor([-1., -0.5, 0., -2.]))
    y = c(X)
    assert torch.equal(y[:, 2], X[:, 2].clamp(min=0))
    assert torch.equal(y[:, 0], X[:, 0].clamp(min=-1))
    assert 'margin' in c.state_dict()
    # margin = E[x | x < 0] of N(mean, std): Monte-Carlo check
    torch.manual_seed(0)
    std, mean = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0])
    margin = ofd_margin(std, mean)
    for i in range(2):
        s = torch.randn(400000) * std[i] + mean[i]
        assert margin[i].item() == pytest.approx(
            s[s < 0].mean().item(), abs=0.02)
    # very positive mean: -3 std
    assert ofd_margin(torch.tensor([1.]), torch.tensor([10.]))[0] == -3


def test_factor_transfer_connectors():
    p = Paraphraser(4, 2, phase='pretrain')
    assert p(X).shape == X.shape
    p.phase = 'train'
    assert p(X).shape == (2, 2, 8, 8)
    assert Translator(4, 2)(X).shape == (2, 2, 8, 8)
    with pytest.raises(ValueError, match='phase'):
        Paraphraser(4, 2, phase='x')


def test_mgd_connector():
    torch.manual_seed(0)
    c = MGDConnector(4, 6, lambda_mgd=0.5)
    assert c(X).shape == (2, 6, 8, 8)
    # lambda 0 -> nothing masked: equals generation(align(x))
    c = MGDConnector(4, 4, lambda_mgd=0.)
    assert torch.allclose(c(X), c.generation(X))
    c = MGDConnector(4, 4, lambda_mgd=1., mask_on_channel=True)
    assert torch.allclose(c(X), c.generation(torch.zeros_like(X)))


def test_fbkd_connectors():
    s = FBKDStudentConnector(4, reduction=2)
    t = FBKDTeacherConnector(4, reduction=2)
    ss, sc, sf, sr = s(X)
    ts, tc, tf, tr = t(X)
    assert ss.shape == (2, 1, 8, 8) and sc.shape == (2, 4, 1, 1)
    # masks are H*W (C) times a softmax: they average to 1
    assert torch.allclose(ts.mean((1, 2, 3)), torch.ones(2), atol=1e-5)
    assert torch.allclose(tc.mean((1, 2, 3)), torch.ones(2), atol=1e-5)
    ref = 64 * F.softmax(X.abs().mean(1).reshape(2, -1) / 0.5, 1)
    assert torch.allclose(ts.reshape(2, -1), ref, atol=1e-5)
    assert torch.equal(tf, X) and sf.shape == tr.shape == sr.shape


def test_byot_connector():
    c = BYOTConnector(4, 16, num_classes=10, expansion=1)
    feat, logits = c(X)
    assert feat.shape == (2, 16) and logits.shape == (2, 10)
    assert len([m for m in c.scala if m.__class__.__name__ == 'SepConv']) \
        == int(math.log2(16 / 4))
    with pytest.raises(ValueError, match='power of two'):
        BYOTConnector(4, 12, expansion=1)


def test_generators():
    g = DAFLGenerator(
        img_size=16, latent_dim=8, hidden_channels=16, out_channels=1)
    assert g(batch_size=3).shape == (3, 1, 16, 16)
    z = torch.randn(2, 8)
    g.eval()
    assert torch.equal(g(z), g(z))
    with pytest.raises(ValueError, match='latent_data'):
        g(torch.randn(2, 5))
    g = ZSKTGenerator(img_size=32, latent_dim=8, hidden_channels=8)
    assert g(batch_size=2).shape == (2, 3, 32, 32)


def test_registered():
    for name in [
            'ConvModuleConnector', 'TorchFunctionalConnector',
            'TorchNNConnector', 'NormConnector', 'CRDConnector',
            'BYOTConnector', 'Paraphraser', 'Translator',
            'FBKDStudentConnector', 'FBKDTeacherConnector', 'MGDConnector',
            'OFDTeacherConnector', 'DAFLGenerator', 'ZSKTGenerator'
    ]:
        assert MODELS.get(name).__module__.startswith(
            'mmrazor.models.architectures')
