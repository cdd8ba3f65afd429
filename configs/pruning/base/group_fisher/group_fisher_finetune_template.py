#############################################################################
"""Group Fisher pruning: the finetune step (template).

Copy this file and fill in the arguments below.

_base_ (str): The prune config.
pruned_path (str): The checkpoint saved by the prune step
    (``flops_{ratio:.2f}.pth`` in its work_dir).
finetune_lr (float): The learning rate of the finetuning (usually the
    original one).
"""

_base_ = ''
pruned_path = ''
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
