# Faster R-CNN with the SPOS-searched ShuffleNetV2 backbone (a fixed subnet
# of the SPOS search space) and FPN.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
    'mmrazor::_base_/nas_backbones/spos_shufflenet_supernet.py'
]

norm_cfg = dict(type='SyncBN', requires_grad=True)

nas_backbone = _base_.nas_backbone
nas_backbone.norm_cfg = norm_cfg
nas_backbone.out_indices = (0, 1, 2, 3)
nas_backbone.with_last_layer = False

model = dict(
    backbone=dict(
        _delete_=True,
        _scope_='mmrazor',
        type='sub_model',
        cfg=nas_backbone,
        fix_subnet='{{ fileDirname }}/SPOS_SUBNET.yaml',
        extra_prefix='backbone.'),
    neck=dict(norm_cfg=norm_cfg, in_channels=[64, 160, 320, 640]),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg)))

find_unused_parameters = True
