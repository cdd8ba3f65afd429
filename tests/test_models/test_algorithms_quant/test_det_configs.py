# Copyright (c) OpenMMLab. All rights reserved.
"""The detection PTQ configs (RetinaNet-R50-FPN and YOLOX-s, OpenVINO and
TensorRT) build their MMArchitectureQuant on the CPU without mmdeploy
(float checkpoint off, random weights), calibrate one batch, predict
DetDataSamples, and their fake-quant tensor outputs stay close to the
float model's."""
import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs/quantization/ptq/base/*_coco_*.py')))
SIZE = 64


def test_det_configs_found():
    names = {osp.basename(c) for c in CONFIGS}
    assert names == {
        'ptq_openvino_retina_r50_1x_coco_calib32xb32.py',
        'ptq_tensorrt_retina_r50_1x_coco_calib32xb32.py',
        'ptq_openvino_yolox_s_8xb8-300e_coco_calib32xb32.py',
        'ptq_tensorrt_yolox_s_8xb8-300e_coco_calib32xb32.py',
    }


def _flat(outs):
    if isinstance(outs, torch.Tensor):
        return [outs]
    return [t for o in outs for t in _flat(o)]


def _condition_bn(model: nn.Module, inputs: torch.Tensor) -> None:
    """Give the randomly initialised float model sane BN statistics (those
    of ``inputs``) and BN weights of 0.5, which keeps the random network out
    of the chaotic regime where any perturbation, fake-quant noise included,
    is amplified layer by layer. BN parameters and buffers are shared with
    the prepared graphs."""
    bns = [
        m for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: one batch = its stats
        bn.train()
    model(inputs, mode='tensor')
    for bn in bns:
        bn.eval()
        bn.weight.data.fill_(0.5)


def _det_data(num: int = 2):
    from mmdet.structures import DetDataSample
    torch.manual_seed(0)
    inputs, samples = [], []
    for _ in range(num):
        inputs.append(
            torch.randint(0, 255, (3, SIZE, SIZE), dtype=torch.uint8))
        sample = DetDataSample()
        sample.set_metainfo(
            dict(
                img_id=0,
                img_shape=(SIZE, SIZE),
                ori_shape=(SIZE, SIZE),
                scale_factor=(1.0, 1.0)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_det_config_prepare_calibrate_predict(config):
    pytest.importorskip('mmdet')
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    from mmrazor.models.algorithms.quantization import MMArchitectureQuant
    from mmrazor.models.task_modules.tracer.fx import SkippedMethodCall
    from mmrazor.structures.quantization.torch_ao import FakeQuantizeBase
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(config)
    cfg.model.float_checkpoint = None
    cfg.model.input_shapes = (1, 3, SIZE, SIZE)
    cfg.model.forward_modes = ('tensor', 'predict')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        assert isinstance(model, MMArchitectureQuant)
        assert set(model.qmodels) == {'tensor', 'predict'}
        predict = model.qmodels['predict']

        # backbone (and head) convs carry weight fake-quants in both graphs
        float_convs = [
            n for n, m in model.architecture.backbone.named_modules()
            if isinstance(m, nn.Conv2d)
        ]
        for qmodel in model.qmodels.values():
            convs = {
                n: m
                for n, m in qmodel.named_modules() if isinstance(m, nn.Conv2d)
            }
            backbone = [n for n in convs if n.startswith('backbone.')]
            assert len(backbone) == len(float_convs)
            assert all(
                hasattr(convs[n], 'weight_fake_quant') for n in backbone)
            head = [n for n in convs if n.startswith('bbox_head.')]
            assert head and all(
                hasattr(convs[n], 'weight_fake_quant') for n in head)
        # preparing left the float model alone (no QAT module swapped in)
        assert not any(
            hasattr(m, 'weight_fake_quant')
            for m in model.architecture.modules())
        fq = [m for m in predict.modules() if isinstance(m, FakeQuantizeBase)]
        assert len(fq) > 50
        # post-processing and data-sample handling are left untraced
        skipped = [
            n.target.path for n in predict.graph.nodes
            if isinstance(n.target, SkippedMethodCall)
        ]
        assert skipped == [
            'mmdet.models.dense_heads.base_dense_head.BaseDenseHead.predict',
            'mmdet.models.detectors.base.BaseDetector.add_pred_to_datasample'
        ]

        model.eval()
        data = _det_data()
        with torch.no_grad():
            inputs = model.data_preprocessor(data, False)['inputs']
            _condition_bn(model.architecture, inputs)
            model.calibrate_step(data)
            model.sync_qparams('predict')
            preds = model.test_step(data)
            quant = _flat(model(inputs, mode='tensor'))
            ref = _flat(model.architecture(inputs, mode='tensor'))

    from mmdet.structures import DetDataSample
    assert len(preds) == 2
    for pred in preds:
        assert isinstance(pred, DetDataSample)
        inst = pred.pred_instances
        assert inst.bboxes.ndim == 2 and inst.bboxes.shape[1] == 4
        assert len(inst.scores) == len(inst.labels) == len(inst.bboxes)
        assert pred.img_shape == (SIZE, SIZE)
    assert len(quant) == len(ref) > 0
    for q, f in zip(quant, ref):
        assert q.shape == f.shape
        rel = (q - f).norm() / f.norm().clamp(min=1e-6)
        assert rel < 0.1, rel
    # fake-quant is active: outputs differ from the float ones
    assert any(not torch.equal(q, f) for q, f in zip(quant, ref))


def test_det_untraceable_call_error_names_the_entry():
    """With the original skip list (post-processing only) tracing 'predict'
    fails; the error names the call and the entry that skips it."""
    pytest.importorskip('mmdet')
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    from mmrazor.models.task_modules.tracer.fx import (CustomTracer,
                                                       UntraceableCallError)
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    config = [c for c in CONFIGS if 'openvino_yolox' in c][0]
    cfg = Config.fromfile(config)
    from mmrazor.models.task_modules.tracer.fx.upstream_skips import \
        UPSTREAM_SKIPPED_METHODS
    # the config's (original) list plus what the quantizer completes
    skipped = list(cfg.model.quantizer.tracer.skipped_methods) + \
        UPSTREAM_SKIPPED_METHODS['mmdet.models.detectors.base.BaseDetector']
    head_predict = \
        'mmdet.models.dense_heads.base_dense_head.BaseDenseHead.predict'
    add_pred = \
        'mmdet.models.detectors.base.BaseDetector.add_pred_to_datasample'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        arch = MODELS.build(cfg.model.architecture)
    for missing in (head_predict, add_pred):
        tracer = CustomTracer(
            skipped_methods=[m for m in skipped if m != missing])
        with pytest.raises(UntraceableCallError) as info:
            tracer.trace(arch, concrete_args={'mode': 'predict'})
        msg = str(info.value)
        assert f"add '{missing}' to quantizer.tracer.skipped_methods" in msg
        assert 'untraceable call: ' + missing in msg
