# Copyright (c) OpenMMLab. All rights reserved.
"""Darts: first-order and second-order (unrolled) steps checked against
direct autograd computations, plain steps, DartsDDP and bad input."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch.func import functional_call

from mmrazor.models import Darts, DartsDDP
from mmrazor.models.mutables import DiffMutableOP


class TinyNet(BaseModel):
    """Linear stem, one DiffMutableOP over three ops, linear classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 6)
        self.op = DiffMutableOP(
            nn.ModuleDict(
                dict(
                    lin=nn.Linear(6, 6),
                    tanh=nn.Sequential(nn.Linear(6, 6), nn.Tanh()),
                    same=nn.Identity())))
        self.fc = nn.Linear(6, 3)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(torch.tanh(self.op(self.stem(inputs))))
        if mode == 'loss':
            return dict(loss=F.cross_entropy(out, data_samples))
        return out


def _batch(seed, n=8):
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=torch.randn(n, 4, generator=g, dtype=torch.float64),
        data_samples=torch.randint(0, 3, (n, ), generator=g))


def _build(unroll, lr=0.1, momentum=0.9, wd=1e-3, arch_lr=1.0):
    torch.manual_seed(0)
    model = Darts(TinyNet(), unroll=unroll).double()
    optim = OptimWrapperDict(
        architecture=OptimWrapper(
            torch.optim.SGD(
                model.architecture.parameters(),
                lr=lr,
                momentum=momentum,
                weight_decay=wd)),
        mutator=OptimWrapper(
            torch.optim.SGD(model.mutator.parameters(), lr=arch_lr)))
    return model, optim


def _alpha(model):
    return model.mutator.arch_params['module_0']


def test_first_order_step_matches_autograd():
    model, optim = _build(unroll=False)
    sup, mut = _batch(1), _batch(2)
    ref = copy.deepcopy(model)
    alpha = _alpha(ref)
    # arch step: SGD(lr=1) on grad_alpha L_val(w, alpha)
    loss_val = ref.architecture(**mut, mode='loss')['loss']
    g_alpha = torch.autograd.grad(loss_val, alpha)[0]
    expected_alpha = alpha.detach() - g_alpha
    with torch.no_grad():
        alpha.copy_(expected_alpha)
    # weight step: SGD on the supernet batch at the new alpha
    weights = list(ref.architecture.parameters())
    loss_tr = ref.architecture(**sup, mode='loss')['loss']
    g_w = torch.autograd.grad(loss_tr, weights)
    expected_w = [(w - 0.1 * (g + 1e-3 * w)).detach()
                  for w, g in zip(weights, g_w)]

    log = model.train_step((sup, mut), optim)
    assert set(log) == {'mutator.loss', 'supernet.loss'}
    assert torch.allclose(log['mutator.loss'], loss_val)
    assert torch.allclose(_alpha(model), expected_alpha)
    for w, e in zip(model.architecture.parameters(), expected_w):
        assert torch.allclose(w, e)
    # no gradient is left on the arch params after the step
    assert _alpha(model).grad is None


def test_second_order_gradient_matches_exact_hypergradient():
    """The unrolled gradient (virtual step with momentum and weight decay,
    finite-difference Hessian-vector product) equals the exact gradient of
    L_val(w - lr (mu m + g(w, alpha) + wd w), alpha)."""
    model, optim = _build(unroll=True, lr=0.1)
    # a first step creates the SGD momentum buffers
    model.train_step((_batch(3), _batch(4)), optim)
    sup, mut = _batch(5), _batch(6)

    alpha = _alpha(model)
    names = [n for n, _ in model.architecture.named_parameters()]
    weights = [p for _, p in model.architecture.named_parameters()]
    state = optim['architecture'].optimizer.state
    loss_tr = model.architecture(**sup, mode='loss')['loss']
    grads = torch.autograd.grad(loss_tr, weights, create_graph=True)
    virtual = {
        n: w - 0.1 * (0.9 * state[w]['momentum_buffer'] + g + 1e-3 * w)
        for n, w, g in zip(names, weights, grads)
    }
    loss_val = functional_call(model.architecture, virtual,
                               (mut['inputs'], mut['data_samples']),
                               dict(mode='loss'))['loss']
    exact = torch.autograd.grad(loss_val, alpha)[0]

    before = [w.detach().clone() for w in weights]
    got, log = model._unrolled_arch_grads(sup, mut, optim['architecture'],
                                          model._arch_param_list())
    assert torch.allclose(got[0], exact, rtol=1e-4, atol=1e-7)
    assert torch.allclose(log['loss'], loss_val)
    # the weights are restored exactly
    for w, b in zip(weights, before):
        assert torch.equal(w, b)
    # the second-order correction is not negligible here
    first_order = torch.autograd.grad(
        model.architecture(**mut, mode='loss')['loss'], alpha)[0]
    assert not torch.allclose(first_order, exact, rtol=1e-3)


def test_second_order_step_moves_arch_params():
    model, optim = _build(unroll=True, arch_lr=0.5)
    alpha0 = _alpha(model).detach().clone()
    w0 = [p.detach().clone() for p in model.architecture.parameters()]
    for i in range(3):
        log = model.train_step((_batch(10 + i), _batch(20 + i)), optim)
    assert set(log) == {'mutator.loss', 'supernet.loss'}
    assert (_alpha(model) - alpha0).abs().max() > 1e-3
    assert any(not torch.equal(p, w)
               for p, w in zip(model.architecture.parameters(), w0))


def test_plain_step_and_bad_input():
    model, optim = _build(unroll=False)
    single = OptimWrapper(
        torch.optim.SGD(model.architecture.parameters(), lr=0.1))
    w0 = model.architecture.fc.weight.detach().clone()
    alpha0 = _alpha(model).detach().clone()
    log = model.train_step(_batch(1), single)
    assert set(log) == {'loss'}
    assert not torch.equal(model.architecture.fc.weight, w0)
    assert torch.equal(_alpha(model), alpha0)

    with pytest.raises(ValueError, match='mutator batch is missing'):
        model.train_step(_batch(1), optim)
    with pytest.raises(ValueError, match='mutator batch is missing'):
        model.train_step((_batch(1), None), optim)
    with pytest.raises(ValueError, match='length 3'):
        model.train_step((_batch(1), _batch(2), _batch(3)), optim)
    bad = OptimWrapperDict(architecture=optim['architecture'])
    with pytest.raises(KeyError, match=r"missing \['mutator'\]"):
        model.train_step((_batch(1), _batch(2)), bad)
    with pytest.raises(TypeError, match='mutator'):
        Darts(TinyNet(), mutator=nn.Linear(1, 1))


def test_lr_per_group_rejected_in_unrolled_mode():
    model, _ = _build(unroll=True)
    params = list(model.architecture.parameters())
    optim = OptimWrapperDict(
        architecture=OptimWrapper(
            torch.optim.SGD([{
                'params': params[:2],
                'lr': 0.1
            }, {
                'params': params[2:],
                'lr': 0.2
            }])),
        mutator=OptimWrapper(torch.optim.SGD(model.mutator.parameters(), 1.0)))
    with pytest.raises(ValueError, match='one learning rate'):
        model.train_step((_batch(1), _batch(2)), optim)


def test_norm_training_and_subnet():
    model = Darts(TinyNet(), norm_training=True)
    model.architecture.bn = nn.BatchNorm1d(2)
    model.eval()
    assert model.architecture.bn.training
    assert model.is_supernet
    subnet = model.sample_subnet()
    assert subnet == {
        'module_0': ['lin', 'tanh', 'same'][int(_alpha(model).argmax())]
    }
    model.set_subnet(subnet)
    assert model.architecture.op.current_choice == subnet['module_0']


def test_darts_ddp_reuses_the_step(tmp_path):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        model, optim = _build(unroll=False)
        ref, ref_optim = _build(unroll=False)
        ddp = DartsDDP(module=model, broadcast_buffers=False)
        sup, mut = _batch(1), _batch(2)
        log = ddp.train_step((sup, mut), optim)
        ref_log = ref.train_step((sup, mut), ref_optim)
        assert torch.allclose(log['supernet.loss'], ref_log['supernet.loss'])
        for p, q in zip(model.parameters(), ref.parameters()):
            assert torch.allclose(p, q)
        # the class holds no copy of the step
        assert 'train_step' in DartsDDP.__dict__
        assert '_darts_train_step' not in DartsDDP.__dict__
    finally:
        dist.destroy_process_group()


def test_batch_norm_wrapper_uses_batch_statistics():
    from mmrazor.models.algorithms.nas.darts import BatchNormWrapper
    bn = nn.BatchNorm1d(2).eval()
    wrapped = BatchNormWrapper(bn)
    x = torch.tensor([[1., 10.], [3., 30.]])
    out = wrapped(x)
    assert torch.allclose(out.mean(0), torch.zeros(2), atol=1e-6)
    assert not bn.training  # the mode is restored


def test_darts_with_diff_module_mutator():
    torch.manual_seed(0)
    model = Darts(
        TinyNet(), mutator=dict(type='mmrazor.DiffModuleMutator')).double()
    optim = OptimWrapperDict(
        architecture=OptimWrapper(
            torch.optim.SGD(model.architecture.parameters(), lr=0.1)),
        mutator=OptimWrapper(
            torch.optim.SGD(model.mutator.parameters(), lr=1.0)))
    alpha = model.mutator.arch_params['0']
    before = alpha.detach().clone()
    model.train_step((_batch(1), _batch(2)), optim)
    assert not torch.equal(alpha, before)
    assert list(model.sample_subnet()) == [0]
