# Copyright (c) OpenMMLab. All rights reserved.
import copy
import os

import pytest
import torch
import torch.nn as nn

from mmrazor.implementations.quantization.gptq import (GPTQCompressor,
                                                       GPTQConv2d, GPTQLinear,
                                                       Quantizer)
from mmrazor.implementations.quantization.gptq.export import (
    load_packed_checkpoint, save_packed_checkpoint)
from mmrazor.implementations.quantization.gptq.packed import (PackedGPTQConv2d,
                                                              PackedGPTQLinear,
                                                              pack_codes,
                                                              unpack_codes)


def correlated_inputs(n, dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, dim // 4, generator=g)
    mix = torch.randn(dim // 4, dim, generator=g)
    return base @ mix + 0.1 * torch.randn(n, dim, generator=g)


def calibrate(compressor, model, batches):
    compressor.init_hessian()
    compressor.register_hessian_hooks()
    with torch.no_grad():
        for x in batches:
            model(x)
    compressor.remove_hessian_hooks()


def rtn(weight, bits, sym=False, groupsize=-1):
    W = weight.detach().clone()
    step = W.shape[1] if groupsize == -1 else groupsize
    for c in range(0, W.shape[1], step):
        q = Quantizer()
        q.configure(bits, perchannel=True, sym=sym)
        q.find_params(W[:, c:c + step], weight=True)
        W[:, c:c + step] = q.quantize(W[:, c:c + step])
    return W


@pytest.mark.parametrize('bits', [2, 3, 4, 8])
@pytest.mark.parametrize('sym', [True, False])
def test_quantizer_grid(bits, sym):
    torch.manual_seed(0)
    w = torch.randn(6, 40) * torch.rand(6, 1) * 3
    q = Quantizer()
    q.configure(bits, perchannel=True, sym=sym)
    q.find_params(w, weight=True)
    maxq = 2**bits - 1
    assert q.scale.shape == (6, 1)
    if sym:
        amax = w.abs().max(1, keepdim=True).values
        torch.testing.assert_close(q.scale, 2 * amax / maxq)
        assert (q.zero == (maxq + 1) / 2).all()
    else:
        wmin = w.min(1, keepdim=True).values.clamp(max=0)
        wmax = w.max(1, keepdim=True).values.clamp(min=0)
        torch.testing.assert_close(q.scale, (wmax - wmin) / maxq)
        torch.testing.assert_close(q.zero, torch.round(-wmin / q.scale))
    out = q.quantize(w)
    codes = out / q.scale + q.zero
    torch.testing.assert_close(codes, codes.round(), atol=1e-4, rtol=0)
    assert codes.min() >= -1e-4 and codes.max() <= maxq + 1e-4
    for row in range(6):
        assert out[row].unique().numel() <= 2**bits
    # inside the clipping range the error is at most half a step
    inside = (codes > 0.5) & (codes < maxq - 0.5)
    err = (out - w).abs()
    assert (err[inside] <= (q.scale.expand_as(w)[inside] / 2 + 1e-5)).all()


def test_quantizer_per_tensor_and_mse():
    w = torch.tensor([[-1., 0., 1., 2.], [0.5, 0.2, -0.1, 0.]])
    q = Quantizer()
    q.configure(2, perchannel=False, sym=False)
    q.find_params(w, weight=True)
    assert torch.allclose(q.scale, torch.full((2, 1), 1.))
    q.configure(4, perchannel=True, sym=False, mse=True)
    heavy = torch.cat([torch.randn(4, 200), torch.full((4, 1), 40.)], 1)
    q.find_params(heavy, weight=True)
    plain = Quantizer()
    plain.configure(4, perchannel=True, sym=False)
    plain.find_params(heavy, weight=True)
    assert (q.scale <= plain.scale).all()
    assert (q.quantize(heavy) - heavy).abs().pow(2.4).sum() < \
        (plain.quantize(heavy) - heavy).abs().pow(2.4).sum()


@pytest.mark.parametrize('bits', [2, 3, 4, 5, 8])
def test_pack_round_trip(bits):
    torch.manual_seed(bits)
    codes = torch.randint(0, 2**bits, (5, 77))
    words = pack_codes(codes, bits)
    assert words.dtype == torch.int32
    assert words.shape == (5, (77 * bits + 31) // 32)
    assert torch.equal(unpack_codes(words, bits, 77), codes)


def test_pack_4bit_is_eight_codes_per_int32():
    codes = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8, 15, 0, 0, 0, 0, 0, 0, 15]])
    words = pack_codes(codes, 4)
    assert words.shape == (1, 2)
    assert words[0, 0].item() == 0x87654321 - 2**32
    assert words[0, 1].item() == 0xF000000F - 2**32
    with pytest.raises(ValueError, match=r'\[0, 16\)'):
        pack_codes(torch.tensor([[16]]), 4)


def test_identity_hessian_gives_rtn():
    torch.manual_seed(0)
    layer = GPTQLinear.convert_from(nn.Linear(32, 8))
    w0 = layer.weight.detach().clone()
    layer.hessian = 2 * torch.eye(32)
    layer.hessian_samples = 1
    layer.quant(blocksize=8, percdamp=0., groupsize=16, bits=3, sym=False)
    torch.testing.assert_close(layer.weight.detach(), rtn(w0, 3, groupsize=16))


@pytest.mark.parametrize('bits', [3, 4])
def test_gptq_beats_rtn_on_correlated_inputs(bits):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32))
    x = correlated_inputs(1024, 64)
    ref = model(x).detach()
    w_rtn = rtn(model[0].weight, bits)
    err_rtn = (x @ w_rtn.t() + model[0].bias - ref).pow(2).mean().item()
    compressor = GPTQCompressor()
    compressor.prepare(model)
    calibrate(compressor, model, x.split(256))
    compressor.quant(bits=bits, sym=False, verbose=False)
    model = compressor.to_static_model(model)
    assert type(model[0]) is nn.Linear
    err_gptq = (model(x) - ref).pow(2).mean().item()
    assert err_gptq < 0.7 * err_rtn
    assert all(row.unique().numel() <= 2**bits for row in model[0].weight)


def test_blocksize_does_not_change_the_result():
    torch.manual_seed(0)
    lin = nn.Linear(48, 16).double()
    x = correlated_inputs(512, 48).double()
    results = []
    for blocksize in (1, 7, 128):
        layer = GPTQLinear.convert_from(copy.deepcopy(lin))
        layer.hessian_dtype = torch.float64
        layer.start_init_hessian()
        layer(x)
        layer.end_init_hessian()
        layer.quant(blocksize=blocksize, groupsize=16, actorder=True, bits=4)
        results.append(layer.gptq_codes)
    assert torch.equal(results[0], results[1])
    assert torch.equal(results[0], results[2])


@pytest.mark.parametrize('groupsize,actorder', [(-1, False), (12, False),
                                                (20, True)])
def test_blocked_sweep_equals_column_by_column(groupsize, actorder):
    """blocksize 128 (lazy batched updates, sub-blocks) and blocksize 1 (every
    update applied at once) give the same codes, scales, weight and error in
    float64, also with groups that straddle blocks and sub-blocks."""
    torch.manual_seed(0)
    lin = nn.Linear(72, 24).double()
    x = correlated_inputs(512, 72).double()
    results = []
    for blocksize, sub in ((1, 16), (128, 16), (128, 5), (32, 32)):
        layer = GPTQLinear.convert_from(copy.deepcopy(lin))
        layer.hessian_dtype = torch.float64
        layer.sub_blocksize = sub
        layer.start_init_hessian()
        layer(x)
        layer.end_init_hessian()
        err = layer.quant(
            blocksize=blocksize,
            groupsize=groupsize,
            actorder=actorder,
            bits=3,
            sym=False)
        results.append((layer.gptq_codes, layer.gptq_scales,
                        layer.weight.detach().clone(), err))
    codes, scales, weight, err = results[0]
    assert codes.is_contiguous() and codes.dtype == torch.uint8
    for other in results[1:]:
        assert torch.equal(other[0], codes)
        assert torch.equal(other[1], scales)
        assert torch.equal(other[2], weight)
        assert other[3] == pytest.approx(err, rel=1e-9)


def test_groups_and_actorder_metadata():
    torch.manual_seed(0)
    layer = GPTQLinear.convert_from(nn.Linear(40, 6))
    layer.layer_name = 'blk.fc'
    layer.start_init_hessian()
    layer(correlated_inputs(256, 40) * torch.linspace(0.1, 3, 40))
    layer.quant(groupsize=16, actorder=True, bits=4)
    assert layer.gptq_scales.shape == (6, 3)  # 16 + 16 + 8 columns
    assert torch.bincount(layer.gptq_g_idx.long()).tolist() == [16, 16, 8]
    # act-order: the 16 columns with the largest H_jj form group 0
    assert layer.gptq_codes.dtype == torch.uint8
    assert int(layer.gptq_codes.max()) <= 15
    torch.testing.assert_close(layer.weight.detach(),
                               layer.dequantized_weight())


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 10))


@pytest.fixture(scope='module')
def quantized():
    model = make_model()
    x = torch.randn(64, 3, 4, 4)
    compressor = GPTQCompressor()
    compressor.prepare(model, skipped_layers=['7'])
    assert type(model[7]) is nn.Linear
    assert isinstance(model[0], GPTQConv2d)
    calibrate(compressor, model, x.split(16))
    errors = compressor.quant_with_default_qconfig(verbose=False)
    assert set(errors) == {'0', '3', '5'}
    return model, x


def test_packed_layers_equal_fake_quant(quantized):
    model, x = quantized
    fake = copy.deepcopy(model)
    ref = fake(x)
    packed = GPTQCompressor().to_packed_model(copy.deepcopy(model))
    assert isinstance(packed[0], PackedGPTQConv2d)
    assert isinstance(packed[3], PackedGPTQLinear)
    assert packed[3].bits == 4 and packed[3].scales.shape == (256, 2)
    assert packed[3].qweight.shape == (256, 256 // 8)
    assert type(packed[7]) is nn.Linear
    assert torch.equal(packed[3].dequantized_weight(), fake[3].weight)
    assert torch.equal(packed(x), ref)


def test_packed_checkpoint_weights_only_and_size(quantized, tmp_path):
    model, x = quantized
    packed = GPTQCompressor().to_packed_model(copy.deepcopy(model))
    ref = packed(x)
    path = tmp_path / 'gptq4.pth'
    save_packed_checkpoint(packed, path)
    state = torch.load(path, weights_only=True)
    assert state['gptq_layers']['3'] == dict(bits=4, groups=2)
    fresh = load_packed_checkpoint(make_model(), path)
    assert torch.equal(fresh(x), ref)
    # size against the fp32 checkpoint of the quantized layers alone
    layers = nn.ModuleList([make_model()[i] for i in (0, 3, 5)])
    fp32_path = tmp_path / 'fp32.pth'
    torch.save(layers.state_dict(), fp32_path)
    q_path = tmp_path / 'q.pth'
    save_packed_checkpoint(
        nn.ModuleList([packed[i] for i in (0, 3, 5)]), q_path)
    ratio = os.path.getsize(q_path) / os.path.getsize(fp32_path)
    assert ratio <= 0.3
    with pytest.raises(KeyError, match='gptq_layers'):
        load_packed_checkpoint(make_model(), {'state_dict': {}})


def test_bad_input_names_the_layer():
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 4))
    compressor = GPTQCompressor()
    compressor.prepare(model)
    calibrate(compressor, model, [torch.randn(16, 8)])
    for bits in (1, 9):
        with pytest.raises(ValueError, match=r"'0'.*bits must be .*\[2, 8\]"):
            compressor.quant(bits=bits, verbose=False)
    unused = GPTQLinear.convert_from(nn.Linear(4, 4))
    unused.layer_name = 'decoder.unused'
    with pytest.raises(RuntimeError, match='decoder.unused.*no calibration'):
        unused.quant(bits=4)
    with pytest.raises(KeyError, match='nope'):
        GPTQCompressor().prepare(make_model(), skipped_layers=['nope'])
    with pytest.raises(ValueError, match='triton'):
        GPTQCompressor().prepare(make_model(), use_triton_ops=True)
    with pytest.raises(ValueError, match='a_qconfig'):
        GPTQCompressor().prepare(make_model(), a_qconfig=dict(bits=8))
    with pytest.raises(ValueError, match='bits'):
        PackedGPTQLinear(4, 4, bits=9)


@pytest.mark.slow
def test_digits_resnet_from_config(repo_root):
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    cfg = Config.fromfile(
        os.path.join(
            repo_root, 'configs/vanilla/mmcls/digits/'
            'resnet18-w16_1xb32_digits.py'))
    with DefaultScope.overwrite_default_scope('mmcls'):
        model = MODELS.build(cfg.model)
    model.eval()
    x = torch.rand(16, 1, 16, 16)
    compressor = GPTQCompressor()
    compressor.prepare(model)
    names = set(compressor.quant_ops)
    assert 'backbone.conv1' in names and 'head.fc' in names
    calibrate(compressor, model, [x])
    compressor.quant_with_default_qconfig(verbose=False)
    with torch.no_grad():
        ref = model(x, mode='tensor')
        packed = compressor.to_packed_model()
        out = packed(x, mode='tensor')
    assert isinstance(packed.backbone.conv1, PackedGPTQConv2d)
    torch.testing.assert_close(out, ref)
