#############################################################################
"""Group Fisher pruning of RetinaNet-R50-FPN on COCO (act normalisation): the
deploy model.
Filled-in copy of configs/pruning/base/group_fisher/
group_fisher_deploy_template.py. ``fix_subnet`` is the structure written
by the finetune step; the weights are the finetune checkpoint.
"""

_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
fix_subnet = 'work_dirs/group_fisher_act_finetune_retinanet_r50_fpn_1x_coco/fix_subnet.json'  # noqa: E501
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
