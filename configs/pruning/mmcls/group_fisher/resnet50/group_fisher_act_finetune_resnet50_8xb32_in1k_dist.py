#############################################################################
"""Group Fisher pruning of ResNet-50 on ImageNet (act normalisation): the
finetune step
with DIST knowledge distillation from the unpruned model.
"""

_base_ = './group_fisher_act_prune_resnet50_8xb32_in1k.py'
pruned_path = 'work_dirs/group_fisher_act_prune_resnet50_8xb32_in1k/flops_0.51.pth'  # noqa: E501
finetune_lr = 0.1
teacher_ckpt = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa: E501
##############################################################################

algorithm = _base_.model
algorithm.init_cfg = dict(type='Pretrained', checkpoint=pruned_path)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    architecture=dict(type='GroupFisherSubModel', algorithm=algorithm),
    teacher=dict(cfg_path='mmcls::resnet/resnet50_8xb32_in1k.py', pretrained=False),  # noqa: E501
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kl=dict(
                type='DISTLoss',
                inter_loss_weight=1.0,
                intra_loss_weight=1.0,
                tau=1,
                loss_weight=1)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                logits_S=dict(from_student=True, recorder='fc'),
                logits_T=dict(from_student=False, recorder='fc')))))

find_unused_parameters = True
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')

# restore lr
optim_wrapper = dict(optimizer=dict(lr=finetune_lr))

# remove pruning related hooks
custom_hooks = _base_.custom_hooks[:-2]

# delete ddp
model_wrapper_cfg = None
