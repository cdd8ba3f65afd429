# Copyright (c) OpenMMLab. All rights reserved.
"""DeiTClsHead: trainable distilled-ViT head."""
import pytest
import torch

import mmrazor.models  # noqa: F401
from mmrazor.registry import MODELS


def _classifier():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='mmcls.ImageClassifier',
            backbone=dict(
                type='mmcls.DistilledVisionTransformer',
                arch=dict(
                    embed_dims=16,
                    num_layers=1,
                    num_heads=2,
                    feedforward_channels=32),
                img_size=16,
                patch_size=8,
                out_type='cls_token'),
            neck=None,
            head=dict(
                type='mmrazor.DeiTClsHead',
                num_classes=5,
                in_channels=16,
                loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0))))


def test_train_uses_the_class_token_and_eval_averages():
    model = _classifier()
    head = model.head
    assert hasattr(head.layers, 'head') and hasattr(head.layers, 'head_dist')
    x = torch.rand(2, 3, 16, 16)
    feats = model.extract_feat(x)
    cls_token, dist_token = feats[-1]
    recorded = []
    handle = head.layers.head_dist.register_forward_hook(
        lambda m, i, o: recorded.append(o))
    head.train()
    train_score = head(feats)
    torch.testing.assert_close(train_score, head.layers.head(cls_token))
    # the distillation head still runs (a distiller records it)
    torch.testing.assert_close(recorded[-1], head.layers.head_dist(dist_token))
    head.eval()
    eval_score = head(feats)
    torch.testing.assert_close(
        eval_score,
        (head.layers.head(cls_token) + head.layers.head_dist(dist_token)) / 2)
    handle.remove()


def test_loss_backpropagates_to_the_class_head():
    from mmpretrain.structures import DataSample
    model = _classifier()
    model.train()
    samples = [DataSample().set_gt_label(i) for i in (0, 3)]
    losses = model(torch.rand(2, 3, 16, 16), samples, mode='loss')
    losses['loss'].backward()
    assert model.head.layers.head.weight.grad.abs().sum() > 0
    assert model.head.layers.head_dist.weight.grad is None


def test_needs_two_tokens():
    head = MODELS.build(
        dict(type='mmrazor.DeiTClsHead', num_classes=5, in_channels=16))
    with pytest.raises(ValueError, match='distillation'):
        head((torch.rand(2, 16), ))
