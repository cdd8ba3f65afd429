# Copyright (c) OpenMMLab. All rights reserved.
"""The mmpose demo input (mmpose is optional: ``bash tools/setup_env.sh
--mmpose``)."""
import sys

import pytest
import torch

from mmrazor.models.task_modules.demo_inputs import (DefaultDemoInput,
                                                     DefaultMMPoseDemoInput)
from mmrazor.registry import TASK_UTILS


def test_registered_and_missing_mmpose_is_named(monkeypatch):
    assert TASK_UTILS.get('DefaultMMPoseDemoInput') is DefaultMMPoseDemoInput
    monkeypatch.setitem(sys.modules, 'mmpose.structures', None)
    with pytest.raises(ImportError, match='mmpose'):
        DefaultMMPoseDemoInput((2, 3, 32, 24))._data_samples((2, 3, 32, 24))


@pytest.fixture(scope='module')
def estimators():
    pytest.importorskip('mmpose', reason='mmpose is optional')
    from mmengine.config import ConfigDict
    from mmengine.registry import DefaultScope
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    preprocessor = dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True)
    with DefaultScope.overwrite_default_scope('mmpose'):
        return _build(MODELS, ConfigDict, preprocessor)


def _build(MODELS, ConfigDict, preprocessor):
    heatmap = MODELS.build(
        ConfigDict(
            type='TopdownPoseEstimator',
            data_preprocessor=preprocessor,
            backbone=dict(type='ResNet', depth=18),
            head=dict(
                type='HeatmapHead',
                in_channels=512,
                out_channels=5,
                deconv_out_channels=(16, ),
                deconv_kernel_sizes=(4, ),
                loss=dict(type='KeypointMSELoss', use_target_weight=True),
                decoder=dict(
                    type='MSRAHeatmap',
                    input_size=(48, 64),
                    heatmap_size=(12, 16),
                    sigma=2))))
    simcc = MODELS.build(
        ConfigDict(
            type='TopdownPoseEstimator',
            data_preprocessor=preprocessor,
            backbone=dict(type='ResNet', depth=18),
            head=dict(
                type='RTMCCHead',
                in_channels=512,
                out_channels=5,
                input_size=(48, 64),
                in_featuremap_size=(2, 2),
                simcc_split_ratio=2.0,
                final_layer_kernel_size=1,
                gau_cfg=dict(
                    hidden_dims=32,
                    s=16,
                    expansion_factor=2,
                    dropout_rate=0.,
                    drop_path=0.,
                    act_fn='SiLU',
                    use_rel_bias=False,
                    pos_enc=False),
                loss=dict(type='KLDiscretLoss', use_target_weight=True),
                decoder=dict(
                    type='SimCCLabel',
                    input_size=(48, 64),
                    sigma=(4.9, 5.66),
                    simcc_split_ratio=2.0))))
    return heatmap, simcc


def test_picked_by_scope_and_by_model(estimators):
    from mmpose.structures import PoseDataSample
    heatmap, _ = estimators
    by_scope = DefaultDemoInput((2, 3, 64, 48), scope='mmpose')
    by_model = DefaultDemoInput((2, 3, 64, 48))
    for demo in (by_scope, by_model):
        data = demo(heatmap)
        assert data['mode'] == 'tensor'
        assert data['inputs'].shape == (2, 3, 64, 48)
        samples = data['data_samples']
        assert len(samples) == 2
        assert all(isinstance(s, PoseDataSample) for s in samples)
        assert samples[0].metainfo['input_size'] == (48, 64)
        assert samples[0].gt_instances.bboxes.tolist() == [[0, 0, 48, 64]]
        heatmap.eval()
        with torch.no_grad():
            out = heatmap(**data)
        # one stride-2 deconv on the 2x2 feature map
        assert out.shape == (2, 5, 4, 4)


def test_fixed_size_head_gets_its_input_size(estimators):
    """The SimCC head's linear layer takes the flattened feature map of its
    input size: the demo input uses that size, whatever was asked."""
    _, simcc = estimators
    data = DefaultDemoInput((1, 3, 224, 224))(simcc)
    assert data['inputs'].shape == (1, 3, 64, 48)
    simcc.eval()
    with torch.no_grad():
        x, y = simcc(**data)
    assert x.shape == (1, 5, 96) and y.shape == (1, 5, 128)
