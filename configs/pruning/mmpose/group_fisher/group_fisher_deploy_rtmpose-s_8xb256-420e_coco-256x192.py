#############################################################################
"""Group Fisher pruning of RTMPose-s (coco-256x192) (act normalisation): the
deploy model.
Filled-in copy of configs/pruning/base/group_fisher/
group_fisher_deploy_template.py. ``fix_subnet`` is the structure written
by the finetune step; the weights are the finetune checkpoint.
"""

_base_ = 'mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py'  # noqa: E501
fix_subnet = 'work_dirs/group_fisher_finetune_rtmpose-s_8xb256-420e_coco-256x192/fix_subnet.json'  # noqa: E501
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
