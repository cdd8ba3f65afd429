# Copyright (c) OpenMMLab. All rights reserved.
"""Every mmcls quantization config builds its MMArchitectureQuant on the CPU
(float checkpoint off), calibrates one batch and predicts."""
import glob
import os.path as osp

import pytest
import torch

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs/quantization/ptq/base/*in1k*.py')) +
    glob.glob(osp.join(REPO, 'configs/quantization/qat/*/*in1k*.py')))


def test_configs_found():
    names = {osp.basename(c) for c in CONFIGS}
    assert 'ptq_openvino_resnet18_8xb32_in1k_calib32xb32.py' in names
    assert 'ptq_tensorrt_mbv2_8xb32_in1k_calib32xb32.py' in names
    assert 'lsq_openvino_resnet18_8xb32_100e_in1k.py' in names
    assert len(CONFIGS) == 9


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_config_prepare_calibrate_predict(config):
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    from mmrazor.models.algorithms.quantization import MMArchitectureQuant
    from mmrazor.structures.quantization.torch_ao import FakeQuantizeBase
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(config)
    cfg.model.float_checkpoint = None
    cfg.model.input_shapes = (1, 3, 32, 32)
    full = osp.basename(config).startswith('ptq_openvino_resnet18')
    if not full:
        # keep the suite fast: the 'loss' graph is exercised by one config
        cfg.model.forward_modes = ('tensor', 'predict')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        assert isinstance(model, MMArchitectureQuant)
        assert set(model.qmodels) == ({'tensor', 'predict', 'loss'}
                                      if full else {'tensor', 'predict'})
        fq = [
            m for m in model.qmodels['predict'].modules()
            if isinstance(m, FakeQuantizeBase)
        ]
        assert len(fq) > 10
        # preparing left the float model alone (no QAT module swapped in)
        assert not any(
            hasattr(m, 'weight_fake_quant')
            for m in model.architecture.modules())
        model.eval()
        from mmpretrain.structures import DataSample
        data = dict(
            inputs=[
                torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)
                for _ in range(2)
            ],
            data_samples=[DataSample().set_gt_label(i) for i in range(2)])
        with torch.no_grad():
            model.calibrate_step(data)
            preds = model.test_step(data)
    assert len(preds) == 2
    assert preds[0].pred_score.shape == (1000, )
    if full:
        model.train()
        losses = model(
            torch.randn(2, 3, 32, 32), data['data_samples'], mode='loss')
        assert losses['loss'].requires_grad
