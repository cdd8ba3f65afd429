# Copyright (c) OpenMMLab. All rights reserved.
"""The detection PTQ configs in their MMRazor 1.x form (``skipped_methods``
listing only the post-processing methods, no ``input_shapes``) prepare,
calibrate and predict: the quantizer completes the skip list."""
import os.path as osp

import pytest
import torch

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(
    REPO, 'configs/quantization/ptq/base/'
    'ptq_openvino_retina_r50_1x_coco_calib32xb32.py')
SIZE = 64


def test_completion_on_a_toy_detector():
    pytest.importorskip('mmdet')
    from mmdet.models.detectors.base import BaseDetector

    from mmrazor.models.task_modules.tracer.fx import CustomTracer
    from mmrazor.models.task_modules.tracer.fx.upstream_skips import (
        UPSTREAM_SKIPPED_METHODS, complete_skipped_methods)

    class Det(BaseDetector):

        def extract_feat(self, x):
            return x

        def _forward(self, x, data_samples=None):
            return x

        def loss(self, x, data_samples):
            return {}

        def predict(self, x, data_samples):
            return data_samples

    tracer = CustomTracer(skipped_methods=[
        'mmdet.models.detectors.base.BaseDetector.add_pred_to_datasample'
    ])
    added = complete_skipped_methods(tracer, Det())
    expected = UPSTREAM_SKIPPED_METHODS[
        'mmdet.models.detectors.base.BaseDetector']
    assert added == expected[:2]
    assert tracer.skipped_methods[0].endswith('add_pred_to_datasample')
    assert len(tracer.skipped_method_targets) == 3
    # not a detector: nothing added
    other = CustomTracer()
    assert complete_skipped_methods(other, torch.nn.Conv2d(1, 1, 1)) == []
    assert other.skipped_methods == []


@pytest.mark.slow
def test_original_form_prepares_calibrates_predicts():
    pytest.importorskip('mmdet')
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(CONFIG)
    skipped = cfg.model.quantizer.tracer.skipped_methods
    assert [m.rsplit('.', 1)[1] for m in skipped] == \
        ['predict_by_feat', 'loss_by_feat']
    assert 'input_shapes' not in cfg.model
    cfg.model.float_checkpoint = None  # no download in tests
    cfg.model.forward_modes = ('tensor', 'predict')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        assert len(model.quantizer.tracer.skipped_methods) == 5
        torch.manual_seed(0)
        samples = []
        for _ in range(2):
            sample = DetDataSample()
            sample.set_metainfo(
                dict(
                    img_id=0,
                    img_shape=(SIZE, SIZE),
                    ori_shape=(SIZE, SIZE),
                    scale_factor=(1.0, 1.0)))
            samples.append(sample)
        data = dict(
            inputs=[
                torch.randint(0, 255, (3, SIZE, SIZE), dtype=torch.uint8)
                for _ in range(2)
            ],
            data_samples=samples)
        model.eval()
        with torch.no_grad():
            model.calibrate_step(data)
            preds = model.test_step(data)
    assert len(preds) == 2
    assert isinstance(preds[0], DetDataSample)
    assert 'bboxes' in preds[0].pred_instances
