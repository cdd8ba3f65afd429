# Copyright (c) OpenMMLab. All rights reserved.
"""OneHotMutableOP and DSNAS: one-hot sampling, the straight-through
architecture gradient, the FLOPs table and constraint, the epoch stages,
DSNASDDP, the DSNAS configs and the paper figures of the subnet."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmrazor.models import DSNAS, DSNASDDP
from mmrazor.models.mutables import OneHotMutableOP
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DSNAS_DIR = osp.join(REPO, 'configs/nas/mmcls/dsnas')


class Scale(nn.Module):

    def __init__(self, k):
        super().__init__()
        self.k = nn.Parameter(torch.tensor(float(k)))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * self.k


def _op():
    return OneHotMutableOP(
        nn.ModuleDict(dict(a=Scale(1), b=Scale(2), c=Scale(3))))


def test_one_hot_op_runs_the_sampled_op_only():
    torch.manual_seed(0)
    op = _op()
    alpha = nn.Parameter(torch.tensor([0., 0., 10.]))
    x = torch.ones(2)
    out = op(x, alpha)
    assert op.arch_weights.tolist() == [0., 0., 1.]
    assert torch.equal(out, 3 * x)
    assert [m.calls for m in op._candidates.values()] == [0, 0, 1]
    # straight-through gradient: dL/dw of the sampled op, and
    # (sum dL/dw) * (w - softmax(alpha)) for alpha
    out.sum().backward()
    assert op.arch_weights.grad.tolist() == [0., 0., 6.]
    expected = 6 * (op.arch_weights.detach() - torch.softmax(alpha, -1))
    assert torch.allclose(op.arch_param_grad(alpha), expected)
    log_p = op.log_prob(alpha)
    (g, ) = torch.autograd.grad(log_p, alpha)
    assert torch.allclose(6 * g, expected, atol=1e-6)
    # eval: the argmax op, deterministically
    op.eval()
    alpha2 = torch.tensor([5., 0., 0.])
    assert torch.equal(op(x, alpha2), x)
    # uniform sampling while pretraining
    op.train()
    op.random_sample = True
    counts = torch.zeros(3)
    for _ in range(300):
        op(x, alpha)
        counts += op.arch_weights.detach()
    assert (counts > 60).all()


def test_one_hot_op_auto_fix():
    op = OneHotMutableOP(
        nn.ModuleDict(dict(a=Scale(1), b=Scale(2))), fix_threshold=0.9)
    out = op(torch.ones(1), torch.tensor([0., 10.]))
    assert op.is_fixed and op.choices == ['b']
    assert torch.equal(out, torch.full((1, ), 2.))
    assert op.dump_chosen().chosen == 'b'


def _mutable():
    return dict(
        type='mmrazor.OneHotMutableOP',
        candidates=dict(
            shuffle_3x3=dict(type='mmrazor.ShuffleBlock', kernel_size=3),
            shuffle_7x7=dict(type='mmrazor.ShuffleBlock', kernel_size=7),
            shuffle_xception=dict(type='mmrazor.ShuffleXception')))


def _dsnas(**kwargs):
    import mmpretrain.registry  # noqa: F401
    arch = dict(
        type='mmcls.ImageClassifier',
        backbone=dict(
            type='mmrazor.SearchableShuffleNetV2',
            out_indices=(2, ),
            arch_setting=[[16, 1, _mutable()], [32, 2, _mutable()]]),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=4,
            in_channels=1024,
            loss=dict(type='mmcls.CrossEntropyLoss')))
    torch.manual_seed(0)
    model = DSNAS(
        arch,
        estimator_cfg=dict(
            type='mmrazor.ResourceEstimator', input_shape=(1, 3, 32, 32)),
        **kwargs)
    optim = OptimWrapperDict(
        architecture=OptimWrapper(
            torch.optim.SGD(model.architecture.parameters(), lr=0.1)),
        mutator=OptimWrapper(
            torch.optim.Adam(model.mutator.parameters(), lr=0.05)))
    return model, optim


def _batch():
    from mmrazor.utils.mmcls_compat import ClsDataSample
    return dict(
        inputs=torch.rand(4, 3, 32, 32) * 255,
        data_samples=[ClsDataSample().set_gt_label(i) for i in range(4)])


def _alphas(model):
    return {
        k: v.detach().clone()
        for k, v in model.mutator.arch_params.items()
    }


@pytest.fixture
def message_hub():
    hub = MessageHub.get_current_instance()
    yield hub
    hub.update_info('epoch', 0)


def test_dsnas_flops_table_and_stages(message_hub):
    model, optim = _dsnas(
        pretrain_epochs=1, finetune_epochs=3, flops_constraints=1e-3)
    # the table: one entry per candidate; the rest + the argmax ops (what
    # runs in eval mode) == the estimate of the whole network
    total = model.estimator.estimate(model.architecture.eval())['flops']
    model.architecture.train()
    table = model.candidate_flops
    argmax_flops = sum(
        table[name][m._unfixed_choices[int(m.bound_arch_param.argmax())]]
        for name, m in model.architecture.named_modules()
        if isinstance(m, OneHotMutableOP))
    assert sorted(table) == [
        'backbone.layers.0.0', 'backbone.layers.1.0', 'backbone.layers.1.1'
    ]
    assert all(v > 0 for t in table.values() for v in t.values())
    assert table['backbone.layers.0.0']['shuffle_7x7'] > \
        table['backbone.layers.0.0']['shuffle_3x3']
    assert model.base_flops > 0
    assert abs(model.base_flops + argmax_flops - total) < 0.005 * total

    hub = message_hub
    # pretrain: uniform paths, weights only
    hub.update_info('epoch', 0)
    before = _alphas(model)
    log = model.train_step(_batch(), optim)
    assert set(log) == {'loss'}
    assert all(torch.equal(before[k], v) for k, v in _alphas(model).items())
    assert all(m.random_sample for m in model.architecture.modules()
               if isinstance(m, OneHotMutableOP))
    # search: arch params move; the tiny budget adds the FLOPs loss
    hub.update_info('epoch', 1)
    log = model.train_step(_batch(), optim)
    assert set(log) >= {'loss', 'arch_loss', 'flops_loss', 'subnet_flops'}
    assert float(log['flops_loss']) > 0
    assert float(log['arch_loss']) < 0  # sum of log-probabilities
    assert abs(float(log['subnet_flops']) - model.subnet_flops()) < 1e-6
    assert any(not torch.equal(before[k], v)
               for k, v in _alphas(model).items())
    # finetune: fixed to the argmax ops, weights only
    hub.update_info('epoch', 3)
    argmax = {
        name: m._unfixed_choices[int(m.bound_arch_param.argmax())]
        for name, m in model.architecture.named_modules()
        if isinstance(m, OneHotMutableOP)
    }
    alphas = _alphas(model)
    log = model.train_step(_batch(), optim)
    assert set(log) == {'loss'} and not model.is_supernet
    for name, m in model.architecture.named_modules():
        if isinstance(m, OneHotMutableOP):
            assert m.choices == [argmax[name]]
    assert all(torch.equal(alphas[k], v) for k, v in _alphas(model).items())
    # exported in the DSNAS subnet format
    from mmrazor.structures.subnet import convert_fix_subnet, export_fix_subnet
    fix_subnet = convert_fix_subnet(export_fix_subnet(model.architecture)[0])
    assert fix_subnet == {k: dict(chosen=v) for k, v in argmax.items()}


def test_dsnas_flops_loss_prefers_cheaper_ops():
    model, _ = _dsnas(flops_constraints=1e-3)
    loss = model.expected_flops()
    params = list(model.mutator.arch_params.values())
    grads = torch.autograd.grad(loss, params)
    for (name, m), g in zip([(n, m)
                             for n, m in model.architecture.named_modules()
                             if isinstance(m, OneHotMutableOP)], grads):
        flops = [model.candidate_flops[name][c] for c in m.choices]
        # descending the gradient favours the cheapest op most
        assert int(torch.argmin(g)) != int(torch.argmax(torch.tensor(flops)))
        assert int(torch.argmax(g)) == int(torch.argmax(torch.tensor(flops)))


def test_dsnas_bad_input():
    model, optim = _dsnas()
    single = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(KeyError, match='architecture.*mutator'):
        model.train_step(_batch(), single)
    with pytest.raises(ValueError, match='pretrain_epochs'):
        DSNAS(model.architecture, pretrain_epochs=5, finetune_epochs=2)


def test_dsnas_ddp_reuses_the_step(tmp_path):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        model, optim = _dsnas(pretrain_epochs=0)
        ddp = DSNASDDP(
            module=model, broadcast_buffers=False, find_unused_parameters=True)
        before = _alphas(model)
        log = ddp.train_step(_batch(), optim)
        assert {'loss', 'arch_loss'} <= set(log)
        assert any(not torch.equal(before[k], v)
                   for k, v in _alphas(model).items())
        assert '_dsnas_train_step' not in DSNASDDP.__dict__
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_dsnas_configs_and_paper_figures():
    """The supernet config builds DSNAS; the subnet config gives the
    published 3.33 M params / 0.299 GFLOPs (1x3x224x224) within 3 %."""
    import mmpretrain.registry  # noqa: F401
    from mmengine.analysis import FlopAnalyzer, parameter_count
    cfg = Config.fromfile(osp.join(DSNAS_DIR, 'dsnas_supernet_8xb128_in1k.py'))
    assert cfg.model_wrapper_cfg.type == 'mmrazor.DSNASDDP'
    cfg.model.estimator_cfg = dict(
        type='mmrazor.ResourceEstimator', input_shape=(1, 3, 32, 32))
    model = MODELS.build(cfg.model)
    assert isinstance(model, DSNAS)
    assert len(model.candidate_flops) == 20
    assert len(model.mutator.arch_params) == 20

    cfg = Config.fromfile(osp.join(DSNAS_DIR, 'dsnas_subnet_8xb128_in1k.py'))
    subnet = MODELS.build(cfg.model).eval()
    assert not any(
        isinstance(m, OneHotMutableOP) and not m.is_fixed
        for m in subnet.modules())
    flops = FlopAnalyzer(subnet, (torch.rand(1, 3, 224, 224), ))
    flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    params = parameter_count(subnet)['']
    assert abs(params / 1e6 - 3.33) / 3.33 < 0.03
    assert abs(flops.total() / 1e9 - 0.299) / 0.299 < 0.03
