# Logits KD on scikit-learn's digits (runs on 2 CPU cores in about a
# minute): the vanilla ResNet18-w16 teacher distils a 4x smaller
# ResNet18-w8 student.
#   1. python tools/train.py configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py
#   2. python tools/train.py <this config>
#      [--cfg-options model.teacher_ckpt=<teacher checkpoint>]
# Validation logs the student's and the teacher's accuracy
# (accuracy/top1 and teacher.accuracy/top1).
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../_base_/datasets/mmcls/digits_bs32.py',
]

teacher_ckpt = 'work_dirs/resnet18-w16_1xb32_digits/epoch_15.pth'


def _classifier(base_channels):
    return dict(
        type='mmcls.ImageClassifier',
        data_preprocessor={{_base_.data_preprocessor}},
        backbone=dict(
            type='mmcls.ResNet_CIFAR',
            depth=18,
            in_channels={{_base_.channels}},
            stem_channels=base_channels,
            base_channels=base_channels,
            num_stages=4,
            out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=base_channels * 8,
            loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
            topk=(1, )))


model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    architecture=_classifier(8),
    teacher=_classifier(16),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kl=dict(type='KLDivergence', tau=4, loss_weight=1)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))

find_unused_parameters = True

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', T_max=14, by_epoch=True, begin=1, end=15)
]
train_cfg = dict(by_epoch=True, max_epochs=15, val_interval=5)
val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2),
)
randomness = dict(seed=0, deterministic=False)
