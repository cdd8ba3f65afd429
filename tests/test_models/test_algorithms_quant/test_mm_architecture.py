# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmrazor.models.algorithms.quantization import (MMArchitectureQuant,
                                                    MMArchitectureQuantDDP)
from mmrazor.registry import MODELS
from mmrazor.testing import (TOY_SKIPPED_METHODS, ToyQuantClassifier,
                             toy_global_qconfig)
from mmrazor.structures.quantization.torch_ao import (FakeQuantize,
                                                      FakeQuantizeBase,
                                                      disable_observer,
                                                      enable_observer)

SKIPPED = TOY_SKIPPED_METHODS
global_qconfig = toy_global_qconfig


def build(lsq=False, **kwargs):
    cfg = dict(
        type='mmrazor.MMArchitectureQuant',
        architecture=dict(type='mmrazor.ToyQuantClassifier'),
        input_shapes=(1, 1, 8, 8),
        quantizer=dict(
            type='mmrazor.OpenVINOQuantizer',
            global_qconfig=global_qconfig(lsq),
            tracer=dict(type='mmrazor.CustomTracer', skipped_methods=SKIPPED)))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def samples(n):
    return [BaseDataElement(gt_label=torch.tensor(i % 3)) for i in range(n)]


def calibrate(model, steps=3):
    model.eval()
    model.apply(enable_observer)
    torch.manual_seed(0)
    for _ in range(steps):
        with torch.no_grad():
            model.calibrate_step(
                dict(inputs=torch.randn(4, 1, 8, 8), data_samples=samples(4)))
    model.apply(disable_observer)
    model.sync_qparams('predict')


def test_build_modes_and_shapes():
    model = build()
    assert isinstance(model, MMArchitectureQuant)
    assert set(model.qmodels) == {'tensor', 'predict', 'loss'}
    for qmodel in model.qmodels.values():
        wfq = qmodel.conv1.weight_fake_quant
        assert wfq.scale.shape == (8, )  # dummy forward sized it
        obs = wfq.activation_post_process
        assert torch.isinf(obs.min_val).all()  # statistics reset
        assert qmodel.conv1.weight is model.architecture.conv1.weight
    x = torch.randn(2, 1, 8, 8)
    model.eval()
    assert model(x).shape == (2, 3)
    preds = model(x, samples(2), mode='predict')
    assert all(hasattr(p, 'pred_label') for p in preds)
    model.train()
    loss = model(x, samples(2), mode='loss')['loss']
    loss.backward()
    assert model.architecture.conv1.weight.grad is not None


def test_bad_forward_modes():
    with pytest.raises(ValueError, match='forward_modes'):
        build(forward_modes=('tensor', 'export'))


def test_calibrate_and_sync_qparams():
    model = build()
    calibrate(model)
    fq_pred = model.qmodels['predict'].activation_post_process_0
    fq_loss = model.qmodels['loss'].activation_post_process_0
    assert fq_pred.scale.item() != 1.0
    assert torch.equal(fq_pred.scale, fq_loss.scale)
    assert torch.equal(fq_pred.activation_post_process.min_val,
                       fq_loss.activation_post_process.min_val)
    fq_loss.scale.fill_(0.5)
    model.sync_qparams('loss')
    assert model.qmodels['tensor'].activation_post_process_0.scale.item() \
        == 0.5
    with pytest.raises(KeyError, match='sync_qparams'):
        model.sync_qparams('export')


def test_state_dict_round_trip_and_deploy_model():
    model = build()
    calibrate(model)
    state = model.state_dict()
    assert any(k.startswith('qmodels.predict.') for k in state)
    assert any(k.startswith('architecture.') for k in state)
    fresh = build()
    fresh.load_state_dict(state)
    fresh.eval()
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        ref = model(x)
        assert torch.allclose(fresh(x), ref)
        deploy = model.get_deploy_model()
        out = deploy(x)
    assert torch.allclose(out, ref, atol=1e-4)
    assert not any(
        bool(m.observer_enabled[0])
        for m in deploy.modules() if isinstance(m, FakeQuantizeBase))
    assert not hasattr(deploy.conv1, 'bn')  # BN folded
    # the deploy model is independent of the algorithm
    with torch.no_grad():
        deploy.conv1.weight.add_(1)
        assert torch.allclose(model(x), ref)


def test_lsq_deploy_model_uses_plain_fake_quantize():
    model = build(lsq=True)
    calibrate(model)
    deploy = model.get_deploy_model()
    fqs = [m for m in deploy.modules() if isinstance(m, FakeQuantizeBase)]
    assert fqs and all(type(m) is FakeQuantize for m in fqs)
    x = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(deploy(x), model(x), atol=1e-3)


def test_float_checkpoint(tmp_path):
    src = ToyQuantClassifier()
    path = str(tmp_path / 'float.pth')
    torch.save({'state_dict': src.state_dict()}, path)
    model = build(float_checkpoint=path)
    assert torch.equal(model.architecture.head.fc.weight, src.head.fc.weight)
    assert torch.equal(model.qmodels['loss'].head.fc.weight,
                       src.head.fc.weight)


def test_ddp_wrapper_rebuilds_qmodels(tmp_path):
    import torch.distributed as dist
    if dist.is_initialized():
        pytest.skip('a process group is already running')
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    try:
        model = build()
        old = model.qmodels['tensor']
        ddp = MMArchitectureQuantDDP(module=model, find_unused_parameters=True)
        assert ddp.module.qmodels['tensor'] is not old
        calibrate(ddp)
        assert ddp.module.qmodels['predict'].conv1.weight_fake_quant \
            .scale.shape == (8, )
        ddp.sync_qparams('predict')
    finally:
        dist.destroy_process_group()
