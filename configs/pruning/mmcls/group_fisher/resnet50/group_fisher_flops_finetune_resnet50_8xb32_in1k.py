#############################################################################
"""Group Fisher pruning of ResNet-50 on ImageNet (flops normalisation): the
finetune step.
Filled-in copy of configs/pruning/base/group_fisher/
group_fisher_finetune_template.py.
"""

_base_ = './group_fisher_flops_prune_resnet50_8xb32_in1k.py'
pruned_path = 'work_dirs/group_fisher_flops_prune_resnet50_8xb32_in1k/flops_0.51.pth'  # noqa: E501
finetune_lr = 0.1
##############################################################################

algorithm = _base_.model
algorithm.init_cfg = dict(type='Pretrained', checkpoint=pruned_path)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='GroupFisherSubModel',
    algorithm=algorithm,
)

# restore lr
optim_wrapper = dict(optimizer=dict(lr=finetune_lr))

# remove pruning related hooks
custom_hooks = _base_.custom_hooks[:-2]

# delete ddp
model_wrapper_cfg = None
