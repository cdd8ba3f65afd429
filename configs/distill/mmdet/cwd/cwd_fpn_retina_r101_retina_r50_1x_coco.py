# CWD on the FPN outputs: channel-wise divergence per FPN level.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]

teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r101_fpn_2x_coco/retinanet_r101_fpn_2x_coco_20200131-5560aee8.pth'  # noqa: E501

model = dict(
    _scope_='mmrazor',
    type='FpnTeacherDistill',
    architecture=dict(cfg_path='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', pretrained=False),
    teacher=dict(cfg_path='mmdet::retinanet/retinanet_r101_fpn_2x_coco.py', pretrained=False),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'),
            fpn1=dict(type='ModuleOutputs', source='neck.fpn_convs.1.conv'),
            fpn2=dict(type='ModuleOutputs', source='neck.fpn_convs.2.conv'),
            fpn3=dict(type='ModuleOutputs', source='neck.fpn_convs.3.conv'),
            fpn4=dict(type='ModuleOutputs', source='neck.fpn_convs.4.conv'),),
        teacher_recorders=dict(
            fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'),
            fpn1=dict(type='ModuleOutputs', source='neck.fpn_convs.1.conv'),
            fpn2=dict(type='ModuleOutputs', source='neck.fpn_convs.2.conv'),
            fpn3=dict(type='ModuleOutputs', source='neck.fpn_convs.3.conv'),
            fpn4=dict(type='ModuleOutputs', source='neck.fpn_convs.4.conv'),),
        distill_losses=dict(
            loss_cwd_fpn0=dict(type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn1=dict(type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn2=dict(type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn3=dict(type='ChannelWiseDivergence', tau=1, loss_weight=10),
            loss_cwd_fpn4=dict(type='ChannelWiseDivergence', tau=1, loss_weight=10),),
        loss_forward_mappings=dict(
            loss_cwd_fpn0=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='fpn0'),
                preds_T=dict(
                    from_student=False,
                    recorder='fpn0')),
            loss_cwd_fpn1=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='fpn1'),
                preds_T=dict(
                    from_student=False,
                    recorder='fpn1')),
            loss_cwd_fpn2=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='fpn2'),
                preds_T=dict(
                    from_student=False,
                    recorder='fpn2')),
            loss_cwd_fpn3=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='fpn3'),
                preds_T=dict(
                    from_student=False,
                    recorder='fpn3')),
            loss_cwd_fpn4=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='fpn4'),
                preds_T=dict(
                    from_student=False,
                    recorder='fpn4')),)))

find_unused_parameters = True

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
