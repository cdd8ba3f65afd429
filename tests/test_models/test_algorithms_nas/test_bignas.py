# Copyright (c) OpenMMLab. All rights reserved.
"""BigNAS: the sandwich rule (max / min / random), in-place distillation
(only the max subnet sees labels), drop path only on the max subnet, one
optimizer step per train_step; BigNASDDP reuses the same step."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper

import mmrazor  # noqa: F401
from mmrazor.models.algorithms.nas import BigNAS, BigNASDDP
from mmrazor.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DIGITS = osp.join(
    REPO, 'configs/nas/mmcls/bignas/digits/'
    'attentive_mobilenet-tiny_supernet_1xb32_digits.py')


@pytest.fixture(scope='module')
def model_cfg():
    return Config.fromfile(DIGITS).model


def _data(n=4):
    from mmpretrain.structures import DataSample
    torch.manual_seed(0)
    inputs = [torch.randint(0, 255, (1, 16, 16)).float() for _ in range(n)]
    samples = [DataSample().set_gt_label(i % 10) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def _optim_wrapper(model):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    hub.update_info('max_iters', 10)
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))


def test_sandwich_train_step(model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(model_cfg))
    assert isinstance(model, BigNAS)
    assert model.sample_kinds == ['max', 'min', 'random0', 'random1']
    optim_wrapper = _optim_wrapper(model)

    kinds_seen = []
    drop_rates = []
    ce_calls = []
    block = model.architecture.backbone.layer4[0]
    model.architecture.head.loss_module.register_forward_hook(
        lambda *a: ce_calls.append(1))
    orig = model.set_subnet

    def spy(kind):
        orig(kind)
        kinds_seen.append(
            (kind, model.architecture.backbone.first_mutable_channels.
             current_choice))
        drop_rates.append(block.drop_path.drop_prob)

    model.set_subnet = spy
    steps = []
    orig_step = optim_wrapper.optimizer.step
    optim_wrapper.optimizer.step = lambda *a, **k: (steps.append(1),
                                                    orig_step(*a, **k))
    before = model.architecture.head.fc.weight.detach().clone()
    log_vars = model.train_step(_data(), optim_wrapper)

    assert [k for k, _ in kinds_seen] == model.sample_kinds
    assert kinds_seen[0][1] == 16 and kinds_seen[1][1] == 8  # max, min
    assert drop_rates[0] > 0 and drop_rates[1:] == [0.] * 3
    assert len(ce_calls) == 1  # only the max subnet uses the labels
    assert 'max_subnet.loss' in log_vars
    assert {k for k in log_vars if not k.startswith('max_subnet.')} == {
        f'{kind}_subnet.{name}'
        for kind in ('min', 'random0', 'random1')
        for name in ('loss', 'loss_kl')
    }
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    # the wrapper accumulates the 4 subnets and steps once
    assert len(steps) == 1
    assert optim_wrapper._accumulative_counts == 4
    assert not torch.equal(before, model.architecture.head.fc.weight)


def test_distill_loss_matches_kl_to_max_logits(model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(model_cfg)).eval()
    batch = model.data_preprocessor(_data(), False)
    x = batch['inputs']
    with torch.no_grad(), model.distiller.teacher_recorders:
        model.set_subnet('max')
        teacher = model(x, mode='tensor')
    with torch.no_grad(), model.distiller.student_recorders:
        model.set_subnet('min')
        student = model(x, mode='tensor')
        loss = model.distiller.compute_distill_losses()['loss_kl']
    expected = torch.nn.functional.kl_div(
        student.log_softmax(1), teacher.softmax(1), reduction='batchmean')
    torch.testing.assert_close(loss, expected)


def test_bad_arguments(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    cfg.pop('distiller')
    with pytest.raises(ValueError, match='distiller'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(model_cfg)
    cfg.num_random_samples = -1
    with pytest.raises(ValueError, match='num_random_samples'):
        MODELS.build(cfg)
    model = MODELS.build(copy.deepcopy(model_cfg))
    with pytest.raises(ValueError, match='unknown sample kind'):
        model.set_subnet('medium')
    cfg = copy.deepcopy(model_cfg)
    cfg.backbone_dropout_stages = [9]
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match=r'backbone_dropout_stages \[9\]'):
        model.set_subnet('max')


def test_bignas_ddp_reuses_train_step(model_cfg, tmp_path):
    import torch.distributed as dist
    if not dist.is_available():
        pytest.skip('torch.distributed not available')
    created = False
    if not dist.is_initialized():
        dist.init_process_group(
            'gloo',
            init_method=f'file://{tmp_path}/pg',
            rank=0,
            world_size=1)
        created = True
    try:
        torch.manual_seed(0)
        model = MODELS.build(copy.deepcopy(model_cfg))
        ddp = BigNASDDP(
            module=model,
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=True)
        assert BigNASDDP.train_step is not BigNAS.train_step
        calls = []
        orig = model.sandwich_step
        model.sandwich_step = lambda d, o, m: (calls.append(m),
                                               orig(d, o, m))[1]
        log_vars = ddp.train_step(_data(), _optim_wrapper(model))
        assert calls == [ddp]  # forwards go through the wrapper
        assert 'min_subnet.loss_kl' in log_vars
    finally:
        if created:
            dist.destroy_process_group()
