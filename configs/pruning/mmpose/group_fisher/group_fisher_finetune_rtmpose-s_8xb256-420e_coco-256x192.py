#############################################################################
"""Group Fisher pruning of RTMPose-s (coco-256x192) (act normalisation): the
finetune step.
Filled-in copy of configs/pruning/base/group_fisher/
group_fisher_finetune_template.py.
"""

_base_ = './group_fisher_prune_rtmpose-s_8xb256-420e_coco-256x192.py'
pruned_path = 'work_dirs/group_fisher_prune_rtmpose-s_8xb256-420e_coco-256x192/flops_0.51.pth'  # noqa: E501
finetune_lr = 0.004
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
