#############################################################################
"""Group Fisher pruning of ResNet-50 on ImageNet (act normalisation): the
deploy model.
Filled-in copy of configs/pruning/base/group_fisher/
group_fisher_deploy_template.py. ``fix_subnet`` is the structure written
by the finetune step; the weights are the finetune checkpoint.
"""

_base_ = 'mmcls::resnet/resnet50_8xb32_in1k.py'
fix_subnet = 'work_dirs/group_fisher_act_finetune_resnet50_8xb32_in1k/fix_subnet.json'  # noqa: E501
divisor = 8
##############################################################################

architecture = _base_.model

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='GroupFisherDeploySubModel',
    architecture=architecture,
    fix_subnet=fix_subnet,
    divisor=divisor,
)
