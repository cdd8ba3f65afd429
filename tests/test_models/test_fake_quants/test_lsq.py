# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch

from mmrazor.models.fake_quants import (LearnableFakeQuantize,
                                        enable_param_learning,
                                        enable_static_estimate, enable_val,
                                        learnable_fake_quantize,
                                        register_torch_fake_quants)
from mmrazor.models.observers import LSQObserver, LSQPerChannelObserver
from mmrazor.registry import MODELS


@pytest.mark.parametrize('name', [
    'FakeQuantize', 'FakeQuantizeBase', 'FixedQParamsFakeQuantize',
    'FusedMovingAvgObsFakeQuantize'
])
def test_torch_fake_quants_registered(name):
    assert name in register_torch_fake_quants()
    assert MODELS.get(f'mmrazor.{name}') is not None


def _reference_grads(x, s, z, qmin, qmax, g):
    """The LSQ / LSQ+ gradients written out element-wise."""
    v = x / s + z
    inside = (v >= qmin) & (v <= qmax)
    q = torch.clamp(torch.round(v), qmin, qmax)
    dx = inside.float()
    ds = torch.where(
        inside,
        torch.round(v) - v,
        torch.where(v < qmin, torch.full_like(v, qmin - z),
                    torch.full_like(v, qmax - z)))
    dz = torch.where(inside, torch.zeros_like(v), -s * torch.ones_like(v))
    return (q - z) * s, dx, ds.sum() * g, dz.sum() * g


@pytest.mark.parametrize('use_grad_scaling', [True, False])
def test_per_tensor_gradients_match_lsq(use_grad_scaling):
    torch.manual_seed(0)
    x = (torch.randn(64) * 3).requires_grad_()
    s = torch.tensor([0.05], requires_grad=True)
    z = torch.tensor([3.], requires_grad=True)
    qmin, qmax = 0, 127
    g = 1 / math.sqrt(x.numel() * qmax) if use_grad_scaling else 1.0
    out = learnable_fake_quantize(x, s, z, qmin, qmax, g)
    out.sum().backward()
    ref_out, dx, ds, dz = _reference_grads(x.detach(), 0.05, 3., qmin, qmax, g)
    assert torch.allclose(out, ref_out)
    assert torch.allclose(x.grad, dx)
    assert s.grad.item() == pytest.approx(ds.item(), rel=1e-4)
    assert z.grad.item() == pytest.approx(dz.item(), rel=1e-4, abs=1e-6)


def test_scale_gradient_matches_numerical_gradient():
    """Where no input sits on a rounding boundary, the STE scale gradient
    equals the numerical gradient of the straight-through surrogate
    ``clamp(x/s + z) - z) * s + (round(v) - v) * s`` with ``round(v)``
    frozen, i.e. central differences of the forward with fixed integer
    codes."""
    torch.manual_seed(1)
    x = torch.randn(32, dtype=torch.float64)
    s = torch.tensor([0.1], dtype=torch.float64, requires_grad=True)
    z = torch.tensor([0.], dtype=torch.float64)
    qmin, qmax = -8, 7
    out = learnable_fake_quantize(x, s, z, qmin, qmax)
    (out * x).sum().backward()

    codes = torch.clamp(torch.round(x / 0.1), qmin, qmax)
    inside = ((x / 0.1) >= qmin) & ((x / 0.1) <= qmax)

    def surrogate(scale):
        v = x / scale
        q = torch.where(inside, codes + 0 * v, torch.clamp(codes, qmin, qmax))
        # STE: d(round(v))/dv = 1 inside the range
        q = torch.where(inside, q - (x / 0.1) + v, q)
        return ((q - z) * scale * x).sum()

    eps = 1e-6
    numeric = (surrogate(0.1 + eps) - surrogate(0.1 - eps)) / (2 * eps)
    assert s.grad.item() == pytest.approx(numeric.item(), rel=1e-6)


def test_input_gradient_matches_numerical_gradient_off_boundaries():
    """d out / d x is 1 inside the range and 0 outside (clamped)."""
    x = torch.tensor([-10., -0.26, 0.31, 10.], dtype=torch.float64)
    s = torch.tensor([0.1], dtype=torch.float64)
    z = torch.tensor([0.], dtype=torch.float64)
    xr = x.clone().requires_grad_()
    learnable_fake_quantize(xr, s, z, -8, 7).sum().backward()
    eps = 1e-7
    # numerical gradient of the *clamping* part (outside: flat)
    f = lambda t: learnable_fake_quantize(t, s, z, -8, 7)  # noqa: E731
    numeric = (f(x + eps) - f(x - eps)) / (2 * eps)
    assert xr.grad[0] == numeric[0] == 0
    assert xr.grad[3] == numeric[3] == 0
    assert torch.all(xr.grad[1:3] == 1)


def test_matches_torch_learnable_kernel():
    """Pin our autograd LSQ against torch's (private) learnable kernel."""
    op = getattr(torch, '_fake_quantize_learnable_per_channel_affine', None)
    if op is None:
        pytest.skip('torch has no learnable fake-quant kernel')
    torch.manual_seed(2)
    x = torch.randn(4, 3, 5, 5)
    s = torch.rand(4) * 0.05 + 0.01
    z = torch.tensor([0., 1., 2., 3.])
    x1, s1, z1 = (t.clone().requires_grad_() for t in (x, s, z))
    x2, s2, z2 = (t.clone().requires_grad_() for t in (x, s, z))
    g = 1 / math.sqrt(x[0].numel() * 255)
    out1 = learnable_fake_quantize(x1, s1, z1, 0, 255, g, ch_axis=0)
    out2 = op(x2, s2, z2, 0, 0, 255, g)
    assert torch.allclose(out1, out2, atol=1e-6)
    out1.sum().backward()
    out2.sum().backward()
    assert torch.allclose(x1.grad, x2.grad)
    assert torch.allclose(s1.grad, s2.grad, rtol=1e-3, atol=1e-6)
    assert torch.allclose(z1.grad, z2.grad, rtol=1e-3, atol=1e-6)


def _lsq_per_channel():
    return LearnableFakeQuantize(
        observer=LSQPerChannelObserver,
        quant_min=-128,
        quant_max=127,
        dtype=torch.qint8,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0,
        zero_point_trainable=True)


def test_module_modes_and_per_channel_learning():
    fq = _lsq_per_channel()
    w = torch.randn(6, 3, 3, 3)
    enable_static_estimate(fq)
    out = fq(w)
    assert fq.scale.shape == (6, )
    expected = 2 * w.abs().flatten(1).mean(1) / math.sqrt(127)
    assert torch.allclose(fq.scale.detach(), expected)
    assert not fq.scale.requires_grad
    enable_param_learning(fq)
    assert fq.scale.requires_grad and fq.zero_point.requires_grad
    before = fq.scale.detach().clone()
    wr = w.clone().requires_grad_()
    fq(wr).pow(2).sum().backward()
    assert fq.scale.grad.shape == (6, )
    assert fq.scale.grad.abs().sum() > 0
    assert torch.equal(fq.scale.detach(), before)  # observer is off
    enable_val(fq)
    assert not fq.scale.requires_grad
    assert bool(fq.fake_quant_enabled[0])
    assert not bool(fq.static_enabled[0])
    assert out.shape == w.shape


def test_state_dict_resize_and_calculate_qparams():
    fq = _lsq_per_channel()
    fq(torch.randn(6, 3, 3, 3))
    fresh = _lsq_per_channel()
    fresh.load_state_dict(fq.state_dict())
    assert torch.equal(fresh.scale, fq.scale)
    scale, zp = fresh.calculate_qparams()
    assert scale.shape == (6, ) and zp.dtype == torch.long


def test_per_tensor_with_registry():
    fq = MODELS.build(
        dict(
            type='mmrazor.LearnableFakeQuantize',
            observer=LSQObserver,
            quant_min=0,
            quant_max=255,
            dtype=torch.quint8))
    x = torch.rand(2, 3, 4, 4)
    y = fq(x)
    assert fq.scale.shape == (1, )
    assert (y - x).abs().max() <= fq.scale.item() / 2 + 1e-6


def test_bad_range():
    with pytest.raises(ValueError, match='quant_min'):
        LearnableFakeQuantize(observer=LSQObserver, quant_min=5, quant_max=5)
