# CWD on the classification logits of a GFL head: each of the 5 FPN levels
# (the head's gfl_cls conv runs once per level, record_idx 0-4) is
# distilled with the channel-wise divergence.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]

teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/gfl/gfl_r101_fpn_mstrain_2x_coco/gfl_r101_fpn_mstrain_2x_coco_20200629_200126-dd12f847.pth'  # noqa: E501

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    architecture=dict(
        cfg_path='mmdet::gfl/gfl_r50_fpn_1x_coco.py', pretrained=False),
    teacher=dict(
        cfg_path='mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py', pretrained=False),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            gfl_cls=dict(type='ModuleOutputs', source='bbox_head.gfl_cls'),),
        teacher_recorders=dict(
            gfl_cls=dict(type='ModuleOutputs', source='bbox_head.gfl_cls'),),
        distill_losses=dict(
            loss_cwd_cls_head_0=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=5),
            loss_cwd_cls_head_1=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=5),
            loss_cwd_cls_head_2=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=5),
            loss_cwd_cls_head_3=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=5),
            loss_cwd_cls_head_4=dict(
                type='ChannelWiseDivergence', tau=1, loss_weight=5),
        ),
        loss_forward_mappings=dict(
            loss_cwd_cls_head_0=dict(
                preds_S=dict(
                    from_student=True, recorder='gfl_cls', record_idx=0),
                preds_T=dict(
                    from_student=False, recorder='gfl_cls',
                    record_idx=0)),
            loss_cwd_cls_head_1=dict(
                preds_S=dict(
                    from_student=True, recorder='gfl_cls', record_idx=1),
                preds_T=dict(
                    from_student=False, recorder='gfl_cls',
                    record_idx=1)),
            loss_cwd_cls_head_2=dict(
                preds_S=dict(
                    from_student=True, recorder='gfl_cls', record_idx=2),
                preds_T=dict(
                    from_student=False, recorder='gfl_cls',
                    record_idx=2)),
            loss_cwd_cls_head_3=dict(
                preds_S=dict(
                    from_student=True, recorder='gfl_cls', record_idx=3),
                preds_T=dict(
                    from_student=False, recorder='gfl_cls',
                    record_idx=3)),
            loss_cwd_cls_head_4=dict(
                preds_S=dict(
                    from_student=True, recorder='gfl_cls', record_idx=4),
                preds_T=dict(
                    from_student=False, recorder='gfl_cls',
                    record_idx=4)),
        )))

find_unused_parameters = True

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
