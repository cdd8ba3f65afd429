# Stage 2 of Factor Transfer: the translator maps the student feature to
# the factor space of the (stage-1) paraphraser; FTLoss aligns them.
_base_ = ['./factor-transfer_backbone_resnet50_resnet18_8xb16_cifar10_pretrain.py']

# the checkpoint written by stage 1
pretrain_ckpt = 'work_dirs/factor-transfer_backbone_resnet50_resnet18_8xb16_cifar10_pretrain/epoch_20.pth'  # noqa: E501

model = dict(
    student_trainable=True,
    calculate_student_loss=True,
    distiller=dict(
        _delete_=True,
        type='ConfigurableDistiller',
        student_recorders=dict(
            bb_s4=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            bb_s4=dict(type='ModuleOutputs', source='backbone.layer4')),
        distill_losses=dict(loss_s4=dict(type='FTLoss', loss_weight=1.0)),
        connectors=dict(
            loss_s4_sfeat=dict(
                type='Translator', in_channel=512, out_channel=512),
            loss_s4_tfeat=dict(
                type='Paraphraser',
                phase='train',
                in_channel=2048,
                out_channel=512)),
        loss_forward_mappings=dict(
            loss_s4=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='bb_s4',
                    connector='loss_s4_sfeat'),
                t_feature=dict(
                    from_student=False,
                    recorder='bb_s4',
                    connector='loss_s4_tfeat'))),
        # the paraphraser trained in stage 1
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrain_ckpt,
            prefix='distiller.')))
