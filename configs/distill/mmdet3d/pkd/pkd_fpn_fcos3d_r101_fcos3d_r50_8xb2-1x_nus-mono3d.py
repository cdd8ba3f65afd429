# PKD on the 4 FPN levels: FCOS3D-R101 teacher -> FCOS3D-R50 student on
# nuScenes monocular 3D detection. Needs mmdet3d 1.x (`mim install
# mmdet3d`); without it, loading this config fails naming mmdet3d.
# Pass the teacher's weights with
#   --cfg-options model.teacher_ckpt=<FCOS3D-R101 checkpoint>
_base_ = [
    'mmdet3d::fcos3d/fcos3d_r101-caffe-dcn_fpn_head-gn_8xb2-1x_nus-mono3d.py'
]

student = _base_.model
student.backbone.depth = 50
student.backbone.init_cfg = dict(
    type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe')

teacher_ckpt = None

model = dict(
    _scope_='mmrazor',
    _delete_=True,
    type='FpnTeacherDistill',
    architecture=student,
    teacher=dict(
        cfg_path='mmdet3d::fcos3d/'
        'fcos3d_r101-caffe-dcn_fpn_head-gn_8xb2-1x_nus-mono3d.py',
        pretrained=False),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'),
            fpn1=dict(type='ModuleOutputs', source='neck.fpn_convs.1.conv'),
            fpn2=dict(type='ModuleOutputs', source='neck.fpn_convs.2.conv'),
            fpn3=dict(type='ModuleOutputs', source='neck.fpn_convs.3.conv')),
        teacher_recorders=dict(
            fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'),
            fpn1=dict(type='ModuleOutputs', source='neck.fpn_convs.1.conv'),
            fpn2=dict(type='ModuleOutputs', source='neck.fpn_convs.2.conv'),
            fpn3=dict(type='ModuleOutputs', source='neck.fpn_convs.3.conv')),
        distill_losses=dict(
            loss_pkd_fpn0=dict(type='PKDLoss', loss_weight=10),
            loss_pkd_fpn1=dict(type='PKDLoss', loss_weight=10),
            loss_pkd_fpn2=dict(type='PKDLoss', loss_weight=10),
            loss_pkd_fpn3=dict(type='PKDLoss', loss_weight=10)),
        loss_forward_mappings=dict(
            loss_pkd_fpn0=dict(
                preds_S=dict(from_student=True, recorder='fpn0'),
                preds_T=dict(from_student=False, recorder='fpn0')),
            loss_pkd_fpn1=dict(
                preds_S=dict(from_student=True, recorder='fpn1'),
                preds_T=dict(from_student=False, recorder='fpn1')),
            loss_pkd_fpn2=dict(
                preds_S=dict(from_student=True, recorder='fpn2'),
                preds_T=dict(from_student=False, recorder='fpn2')),
            loss_pkd_fpn3=dict(
                preds_S=dict(from_student=True, recorder='fpn3'),
                preds_T=dict(from_student=False, recorder='fpn3')))))

find_unused_parameters = True

train_cfg = dict(val_interval=12)
