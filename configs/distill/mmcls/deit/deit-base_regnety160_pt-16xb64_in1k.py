# DeiT-base distilled from a RegNet teacher with hard distillation: the
# distillation token's head (head.layers.head_dist) learns the teacher's
# argmax labels (CrossEntropyLoss of mmrazor), the class token's head the
# ground truth. mmpretrain has no RegNetY (with SE) arch: the teacher is a
# RegNet with the RegNetY-16GF widths (w0=200, wa=106.23, wm=2.48,
# group_w=112, depth=18); load converted RegNetY-160 weights if you have
# them.
_base_ = ['mmcls::deit/deit-base-distilled_16xb64_in1k.py']

teacher_ckpt = 'https://download.openmmlab.com/mmclassification/v0/regnet/regnety-160_32xb64_in1k_20220302-5ff0f2de.pth'  # noqa: E501

model = dict(
    _scope_='mmrazor',
    _delete_=True,
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        # RGB format normalization parameters
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        # convert image from BGR to RGB
        bgr_to_rgb=True),
    architecture=dict(
        type='mmcls.ImageClassifier',
        backbone=dict(
            type='mmcls.DistilledVisionTransformer',
            arch='deit-base',
            img_size=224,
            patch_size=16),
        neck=None,
        head=dict(
            type='mmcls.DeiTClsHead',
            num_classes=1000,
            in_channels=768,
            loss=dict(
                type='mmcls.LabelSmoothLoss',
                label_smooth_val=0.1,
                mode='original',
                loss_weight=0.5)),
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=.02),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    teacher=dict(
        type='mmcls.ImageClassifier',
        backbone=dict(
            type='mmcls.RegNet',
            arch=dict(
                w0=200, wa=106.23, wm=2.48, group_w=112, depth=18,
                bot_mul=1.0)),
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=1000,
            in_channels=3024,
            loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0))),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.layers.head_dist')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_distill=dict(type='CrossEntropyLoss', loss_weight=0.5)),
        loss_forward_mappings=dict(
            loss_distill=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))

find_unused_parameters = True

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
