# Copyright (c) OpenMMLab. All rights reserved.
import copy
from unittest import mock

import pytest
import torch
import torch.nn as nn

from mmrazor.implementations.pruning.sparse_gpt import (
    SparseGptCompressor, SparseGptConv2d, SparseGptLinear, is_weight_sparse_24,
    memory_efficient_forward, replace_with_dynamic_ops, torch_setting)


def correlated_inputs(n, dim, seed=0):
    """Inputs with strongly correlated features (a low-rank mix)."""
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


class TinyNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(32, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = self.pool(torch.relu(self.dw(torch.relu(self.conv(x)))))
        return self.head(torch.relu(self.fc(x.flatten(1))))


def test_linear_hessian_is_running_mean_of_2xxT():
    layer = SparseGptLinear.convert_from(nn.Linear(6, 3))
    layer.start_init_hessian()
    x1, x2 = torch.randn(2, 5, 6), torch.randn(7, 6)
    layer(x1)
    layer(x2)
    layer.end_init_hessian()
    X = torch.cat([x1.reshape(-1, 6), x2])
    assert layer.hessian_samples == 17
    torch.testing.assert_close(layer.hessian, 2 * X.t() @ X / 17)
    layer(x1)  # hook removed: no more updates
    assert layer.hessian_samples == 17


def test_conv_hessian_matches_explicit_patches():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1)
    layer = SparseGptConv2d.convert_from(conv)
    layer.start_init_hessian()
    x = torch.randn(2, 2, 5, 5)
    layer(x)
    xp = nn.functional.pad(x, (1, 1, 1, 1))
    patches = []
    for n in range(2):
        for i in range(0, 5, 2):
            for j in range(0, 5, 2):
                patches.append(xp[n, :, i:i + 3, j:j + 3].reshape(-1))
    P = torch.stack(patches)
    assert layer.hessian_samples == P.shape[0] == 18
    torch.testing.assert_close(
        layer.hessian, 2 * P.t() @ P / 18, rtol=1e-5, atol=1e-5)


def test_identity_hessian_gives_blockwise_magnitude_pruning():
    torch.manual_seed(0)
    layer = SparseGptLinear.convert_from(nn.Linear(16, 8))
    w0 = layer.weight.detach().clone()
    layer.hessian = 2 * torch.eye(16)
    layer.hessian_samples = 1
    layer.prune(0.5, blocksize=16, percdamp=0.0)
    k = w0.numel() // 2
    keep = torch.zeros(w0.numel(), dtype=torch.bool)
    keep[w0.abs().flatten().topk(w0.numel() - k).indices] = True
    expected = torch.where(keep.view_as(w0), w0, torch.zeros_like(w0))
    torch.testing.assert_close(layer.weight.detach(), expected)


@pytest.mark.parametrize('blocksize', [8, 128])
def test_unstructured_sparsity_and_better_than_magnitude(blocksize):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 24))
    x = correlated_inputs(512, 32)
    ref = model(x).detach()
    mag = copy.deepcopy(model)
    W = mag[0].weight.data
    W.view(-1)[W.abs().flatten().topk(W.numel() // 2,
                                      largest=False).indices] = 0
    compressor = SparseGptCompressor()
    compressor.prepare(model)
    calibrate(compressor, model, x.split(128))
    compressor.prune(0.5, blocksize=blocksize, verbose=False)
    model = compressor.to_static_model(model)
    assert type(model[0]) is nn.Linear
    zeros = (model[0].weight == 0).float().mean().item()
    assert zeros == pytest.approx(0.5, abs=1e-6)
    err_sgpt = (model(x) - ref).pow(2).mean().item()
    err_mag = (mag(x) - ref).pow(2).mean().item()
    assert err_sgpt < 0.5 * err_mag


def test_24_pattern_on_conv_and_linear():
    torch.manual_seed(0)
    model = TinyNet()
    x = torch.randn(16, 4, 8, 8)
    compressor = SparseGptCompressor()
    compressor.prepare(model)
    assert isinstance(model.conv, SparseGptConv2d)
    assert type(model.dw) is nn.Conv2d  # grouped conv left alone
    assert model.fc.layer_name == 'fc'
    calibrate(compressor, model, [x])
    errors = compressor.prune_24(blocksize=16, verbose=False)
    assert set(errors) == {'conv', 'fc', 'head'}
    model = compressor.to_static_model(model)
    assert [type(m) for m in (model.conv, model.fc, model.head)] == \
        [nn.Conv2d, nn.Linear, nn.Linear]
    for layer in (model.conv, model.fc, model.head):
        w = layer.weight.flatten(1)
        assert is_weight_sparse_24(w)
        assert ((w.reshape(-1, 4) == 0).sum(1) == 2).all()
    assert not is_weight_sparse_24(model.dw.weight.flatten(1))


def test_is_weight_sparse_24():
    w = torch.tensor([[0., 1., 0., 2., 3., 0., 0., 0.]])
    assert is_weight_sparse_24(w)
    w[0, 0] = 5.
    assert not is_weight_sparse_24(w)
    assert not is_weight_sparse_24(torch.zeros(2, 6))
    assert is_weight_sparse_24(torch.zeros(8, 2), dim=0)


def test_static_model_state_reloads_weights_only(tmp_path):
    torch.manual_seed(0)
    model = TinyNet()
    x = torch.randn(8, 4, 8, 8)
    fresh = copy.deepcopy(model)
    compressor = SparseGptCompressor()
    compressor.prepare(model)
    calibrate(compressor, model, [x])
    compressor.prune(0.5, verbose=False)
    model = compressor.to_static_model(model)
    path = tmp_path / 'sparse.pth'
    torch.save(model.state_dict(), path)
    state = torch.load(path, weights_only=True)
    assert not any('hessian' in k for k in state)
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh(x), model(x))


def test_bad_input_names_the_layer():
    model = nn.Sequential(nn.Linear(6, 4), nn.Linear(4, 2))
    compressor = SparseGptCompressor()
    compressor.prepare(model)
    calibrate(compressor, model, [torch.randn(8, 6)])
    with pytest.raises(ValueError, match=r"'0'.*prunem=4.*6 weight"):
        compressor.prune(0.5, prunen=2, prunem=4, verbose=False)
    with pytest.raises(ValueError, match='prunen < prunem'):
        model[1].prune(0.5, prunen=4, prunem=4)
    with pytest.raises(ValueError, match='sparsity'):
        model[1].prune(1.0)
    # a layer no calibration input reached
    extra = SparseGptLinear.convert_from(nn.Linear(3, 3))
    extra.layer_name = 'decoder.unused'
    extra.init_hessian()
    with pytest.raises(RuntimeError, match='decoder.unused.*no calibration'):
        extra.prune(0.5)
    with pytest.raises(RuntimeError, match='prepare'):
        SparseGptCompressor().prune(0.5)
    # through the compressor: a branch the calibration forward never runs
    model = nn.ModuleDict(dict(used=nn.Linear(4, 4), unused=nn.Linear(4, 4)))
    compressor = SparseGptCompressor()
    compressor.prepare(model)
    calibrate(compressor, model['used'], [torch.randn(8, 4)])
    with pytest.raises(RuntimeError, match="'unused' has no calibration"):
        compressor.prune(0.5, verbose=False)


def test_replace_with_dynamic_ops_shares_parameters():
    model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Linear(4, 2)))
    w = model[1][0].weight
    names = replace_with_dynamic_ops(
        model, {nn.Linear: SparseGptLinear}, skipped_layers=['0'])
    assert names == ['1.0']
    assert type(model[0]) is nn.Linear
    assert isinstance(model[1][0], SparseGptLinear)
    assert model[1][0].weight is w


class Blocks(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 8)
        self.layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(3))

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


def test_memory_efficient_forward_one_block_at_a_time():
    torch.manual_seed(0)
    model = Blocks()
    x = torch.randn(5, 4)
    ref = model(x)
    events = []
    resident = set()
    for i, layer in enumerate(model.layers):
        orig_to = layer.to

        def spy(*args, _i=i, _orig=orig_to, **kwargs):
            dev = torch.device(args[0])
            if dev == torch.device('cpu') and _i in resident:
                resident.discard(_i)
                events.append(('off', _i))
            else:
                events.append(('on', _i, len(resident)))
                resident.add(_i)
            return _orig(*args, **kwargs)

        layer.to = spy
    with memory_efficient_forward(
            model, wrap_modules=[nn.Linear], device='cpu') as m:
        # the outermost match only: stem and the three layers
        out = m(x)
        assert 'forward' in model.layers[0].__dict__
    torch.testing.assert_close(out, ref)
    # every block moved on while no other block was resident, then off
    assert events == [('on', 0, 0), ('off', 0), ('on', 1, 0), ('off', 1),
                      ('on', 2, 0), ('off', 2)]
    assert 'forward' not in model.layers[0].__dict__
    with pytest.raises(KeyError, match='nope'):
        with memory_efficient_forward(model, wrap_modules=['nope']):
            pass


def test_torch_setting_restores_defaults():
    with torch_setting(dtype=torch.float64):
        assert torch.ones(1).dtype == torch.float64
    assert torch.ones(1).dtype == torch.float32


def test_progress_is_logged_per_layer():
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))
    compressor = SparseGptCompressor()
    compressor.prepare(model)
    calibrate(compressor, model, [torch.randn(32, 8)])
    target = 'mmrazor.implementations.pruning.sparse_gpt.utils.print_log'
    with mock.patch(target) as log:
        compressor.prune(0.5)
    lines = [c.args[0] for c in log.call_args_list]
    assert len(lines) == 2
    assert '1/2 0' in lines[0] and '2/2 1' in lines[1]


def test_skipped_layers():
    model = TinyNet()
    compressor = SparseGptCompressor()
    compressor.prepare(model, skipped_layers=['conv'])
    assert type(model.conv) is nn.Conv2d
    assert isinstance(model.fc, SparseGptLinear)
    with pytest.raises(KeyError, match='nope'):
        SparseGptCompressor().prepare(TinyNet(), skipped_layers=['nope'])


@pytest.mark.parametrize('n', [5, 300])
def test_inverse_cholesky_factor(n):
    from mmrazor.implementations.pruning.sparse_gpt.hessian import \
        lower_triangular_inverse
    torch.manual_seed(0)
    A = torch.randn(n, 2 * n, dtype=torch.float64)
    H = A @ A.t() / (2 * n)
    L = torch.linalg.cholesky(H)
    torch.testing.assert_close(
        lower_triangular_inverse(L, base=64), torch.linalg.inv(L))
    layer = SparseGptLinear.convert_from(nn.Linear(n, 2).double())
    layer.hessian = H.clone()
    layer.hessian_samples = 1
    _, U = layer._hessian_inverse(layer.weight.detach().clone(), 0.0)
    ref = torch.linalg.cholesky(
        torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    torch.testing.assert_close(U, ref)


@pytest.mark.parametrize('n', [5, 129, 300])
def test_inverse_upper_cholesky(n):
    from mmrazor.implementations.pruning.sparse_gpt.hessian import \
        inverse_upper_cholesky
    torch.manual_seed(0)
    A = torch.randn(n, 2 * n, dtype=torch.float64)
    H = A @ A.t() / (2 * n)
    U = inverse_upper_cholesky(H, base=64)
    assert torch.equal(U, U.triu())
    torch.testing.assert_close(U.t() @ U, torch.linalg.inv(H))
    ref = torch.linalg.cholesky(
        torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    torch.testing.assert_close(U, ref)
    # a matrix that is not positive definite fails like torch's Cholesky
    with pytest.raises(torch.linalg.LinAlgError):
        inverse_upper_cholesky(
            H - 2 * torch.eye(n, dtype=H.dtype) * H.diagonal().max(), base=64)


@pytest.mark.parametrize('kwargs', [
    dict(sparsity=0.5, prunen=2, prunem=4),
    dict(sparsity=0.5, prunen=1, prunem=3)
])
def test_nm_result_does_not_depend_on_blocking(kwargs):
    """N:M masks are chosen column group by column group, so the block and
    sub-block sizes only reorder the (exact) updates."""
    torch.manual_seed(0)
    lin = nn.Linear(48, 16).double()
    H = correlated_inputs(512, 48).double()
    H = 2 * H.t() @ H / 512
    results = []
    settings = ((kwargs['prunem'], 16), (24, 16), (48, 6), (48, 48))
    for blocksize, sub in settings:
        layer = SparseGptLinear.convert_from(copy.deepcopy(lin))
        layer.hessian = H.clone()
        layer.hessian_samples = 512
        layer.sub_blocksize = sub
        err = layer.prune(blocksize=blocksize, **kwargs)
        results.append((layer.weight.detach().clone(), err))
    for weight, err in results[1:]:
        assert torch.equal(weight == 0, results[0][0] == 0)
        torch.testing.assert_close(weight, results[0][0])
        assert err == pytest.approx(results[0][1], rel=1e-9)
