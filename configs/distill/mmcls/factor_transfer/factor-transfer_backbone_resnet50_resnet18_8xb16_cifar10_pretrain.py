# Stage 1 of Factor Transfer: train the paraphraser (an auto-encoder on
# the teacher's last stage) to reconstruct the teacher feature. The
# student is frozen and has no loss.
_base_ = [
    'mmcls::_base_/datasets/cifar10_bs16.py',
    'mmcls::_base_/schedules/cifar10_bs128.py',
    'mmcls::_base_/default_runtime.py'
]

teacher_ckpt = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_b16x8_cifar10_20210528-f54bfad9.pth'  # noqa: E501

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        # RGB format normalization parameters
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        # loaded images are already RGB format
        bgr_to_rgb=False),
    architecture=dict(
        cfg_path='mmcls::resnet/resnet18_8xb16_cifar10.py', pretrained=False),
    teacher=dict(
        cfg_path='mmcls::resnet/resnet50_8xb16_cifar10.py', pretrained=False),
    teacher_ckpt=teacher_ckpt,
    student_trainable=False,
    calculate_student_loss=False,
    distiller=dict(
        type='ConfigurableDistiller',
        teacher_recorders=dict(
            bb_s4=dict(type='ModuleOutputs', source='backbone.layer4')),
        distill_losses=dict(
            loss_s4_pretrain=dict(
                type='L2Loss', normalize=False, loss_weight=1.0)),
        connectors=dict(
            loss_s4_tfeat=dict(
                type='Paraphraser',
                phase='pretrain',
                in_channel=2048,
                out_channel=512)),
        loss_forward_mappings=dict(
            loss_s4_pretrain=dict(
                s_feature=dict(
                    # the reconstruction of the teacher feature
                    from_student=False,
                    recorder='bb_s4',
                    connector='loss_s4_tfeat'),
                t_feature=dict(from_student=False, recorder='bb_s4')))))

find_unused_parameters = True

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')

train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
