# Copyright (c) OpenMMLab. All rights reserved.
"""Tiny mmcls (mmpretrain) classifiers for the KD tests."""
import copy

import torch


def classifier_cfg(base=8, depth=18, in_channels=1, num_classes=10):
    return dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=dict(
            type='mmcls.ClsDataPreprocessor',
            num_classes=num_classes,
            mean=[127.5] * in_channels,
            std=[127.5] * in_channels,
            to_rgb=False),
        backbone=dict(
            type='mmcls.ResNet_CIFAR',
            depth=depth,
            in_channels=in_channels,
            stem_channels=base,
            base_channels=base,
            out_indices=(3, )),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=num_classes,
            in_channels=base * 8,
            loss=dict(type='mmcls.CrossEntropyLoss')))


def logits_distiller(tau=1.0):
    return dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kl=dict(type='KLDivergence', tau=tau, loss_weight=1.)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc'))))


def std_cfg(**kwargs):
    cfg = dict(
        type='mmrazor.SingleTeacherDistill',
        architecture=classifier_cfg(base=4, depth=18),
        teacher=classifier_cfg(base=8, depth=18),
        distiller=logits_distiller())
    cfg.update(kwargs)
    return copy.deepcopy(cfg)


def batch(n=4, in_channels=1, size=16, num_classes=10):
    from mmpretrain.structures import DataSample
    inputs = [
        torch.randint(0, 255, (in_channels, size, size)).float()
        for _ in range(n)
    ]
    samples = [DataSample().set_gt_label(i % num_classes) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)
