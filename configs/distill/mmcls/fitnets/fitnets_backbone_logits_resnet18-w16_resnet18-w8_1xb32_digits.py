# FitNets-style feature KD on scikit-learn's digits: the student's last
# stage (64 channels) is aligned to the teacher's (128 channels) by a
# ConvModule connector (hint loss, L2Loss) plus logits KD.
#   1. python tools/train.py configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py
#   2. python tools/train.py <this config>
#      [--cfg-options model.teacher_ckpt=<teacher checkpoint>]
_base_ = ['../kd/kd_logits_resnet18-w16_resnet18-w8_1xb32_digits.py']

model = dict(
    distiller=dict(
        _delete_=True,
        type='ConfigurableDistiller',
        student_recorders=dict(
            bb_s4=dict(type='ModuleOutputs', source='backbone.layer4'),
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            bb_s4=dict(type='ModuleOutputs', source='backbone.layer4'),
            fc=dict(type='ModuleOutputs', source='head.fc')),
        connectors=dict(
            s4_align=dict(
                type='ConvModuleConnector',
                in_channel=64,
                out_channel=128,
                norm_cfg=dict(type='BN'),
                act_cfg=None)),
        distill_losses=dict(
            loss_s4=dict(type='L2Loss', loss_weight=10),
            loss_kl=dict(type='KLDivergence', tau=4, loss_weight=1)),
        loss_forward_mappings=dict(
            loss_s4=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='bb_s4',
                    connector='s4_align'),
                t_feature=dict(from_student=False, recorder='bb_s4')),
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))
