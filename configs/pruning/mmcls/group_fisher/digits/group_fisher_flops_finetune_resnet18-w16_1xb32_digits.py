# Finetunes the static model pruned by
# group_fisher_flops_prune_resnet18-w16_1xb32_digits.py from its
# flops_0.50.pth; writes work_dir/fix_subnet.json (the structure, for the
# deploy config). Filled-in copy of
# configs/pruning/base/group_fisher/group_fisher_finetune_template.py.
#############################################################################
_base_ = './group_fisher_flops_prune_resnet18-w16_1xb32_digits.py'
pruned_path = 'work_dirs/group_fisher_prune/flops_0.50.pth'
finetune_lr = 0.05
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
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=15, by_epoch=True, begin=0, end=15)
]
train_cfg = dict(by_epoch=True, max_epochs=15, val_interval=5)

# remove pruning related hooks
custom_hooks = _base_.custom_hooks[:-2]

# delete ddp
model_wrapper_cfg = None
