# FBKD on the 4 FPN levels of Faster R-CNN: attention-guided feature,
# attention and non-local losses (FBKD connectors + FBKDLoss).
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]

teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r101_fpn_1x_coco/faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth'  # noqa: E501

model = dict(
    _scope_='mmrazor',
    type='FpnTeacherDistill',
    architecture=dict(
        cfg_path='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
        pretrained=False),
    teacher=dict(
        cfg_path='mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py',
        pretrained=False),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'),
            fpn1=dict(type='ModuleOutputs', source='neck.fpn_convs.1.conv'),
            fpn2=dict(type='ModuleOutputs', source='neck.fpn_convs.2.conv'),
            fpn3=dict(type='ModuleOutputs', source='neck.fpn_convs.3.conv'),),
        teacher_recorders=dict(
            fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'),
            fpn1=dict(type='ModuleOutputs', source='neck.fpn_convs.1.conv'),
            fpn2=dict(type='ModuleOutputs', source='neck.fpn_convs.2.conv'),
            fpn3=dict(type='ModuleOutputs', source='neck.fpn_convs.3.conv'),),
        distill_losses=dict(
            loss_fbkd_fpn0=dict(type='FBKDLoss'),
            loss_fbkd_fpn1=dict(type='FBKDLoss'),
            loss_fbkd_fpn2=dict(type='FBKDLoss'),
            loss_fbkd_fpn3=dict(type='FBKDLoss'),),
        connectors=dict(
            fbkd_s0=dict(
                type='FBKDStudentConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=2),
            fbkd_t0=dict(
                type='FBKDTeacherConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=2),
            fbkd_s1=dict(
                type='FBKDStudentConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=2),
            fbkd_t1=dict(
                type='FBKDTeacherConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=2),
            fbkd_s2=dict(
                type='FBKDStudentConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=1),
            fbkd_t2=dict(
                type='FBKDTeacherConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=1),
            fbkd_s3=dict(
                type='FBKDStudentConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=1),
            fbkd_t3=dict(
                type='FBKDTeacherConnector',
                in_channels=256,
                reduction=4,
                downsample_stride=1),
        ),
        loss_forward_mappings=dict(
            loss_fbkd_fpn0=dict(
                s_input=dict(
                    from_student=True,
                    recorder='fpn0',
                    connector='fbkd_s0'),
                t_input=dict(
                    from_student=False,
                    recorder='fpn0',
                    connector='fbkd_t0')),
            loss_fbkd_fpn1=dict(
                s_input=dict(
                    from_student=True,
                    recorder='fpn1',
                    connector='fbkd_s1'),
                t_input=dict(
                    from_student=False,
                    recorder='fpn1',
                    connector='fbkd_t1')),
            loss_fbkd_fpn2=dict(
                s_input=dict(
                    from_student=True,
                    recorder='fpn2',
                    connector='fbkd_s2'),
                t_input=dict(
                    from_student=False,
                    recorder='fpn2',
                    connector='fbkd_t2')),
            loss_fbkd_fpn3=dict(
                s_input=dict(
                    from_student=True,
                    recorder='fpn3',
                    connector='fbkd_s3'),
                t_input=dict(
                    from_student=False,
                    recorder='fpn3',
                    connector='fbkd_t3')),)))

find_unused_parameters = True

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
