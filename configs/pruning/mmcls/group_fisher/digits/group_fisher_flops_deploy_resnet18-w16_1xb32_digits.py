# The static pruned digits model for deployment and testing: the structure
# is the fix_subnet.json written by the finetune run, the weights are its
# checkpoint (tools/test.py CONFIG work_dirs/group_fisher_finetune/
# epoch_15.pth). Filled-in copy of
# configs/pruning/base/group_fisher/group_fisher_deploy_template.py.
#############################################################################
_base_ = '../../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py'
fix_subnet = 'work_dirs/group_fisher_finetune/fix_subnet.json'
divisor = 1
##############################################################################

architecture = _base_.model

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='GroupFisherDeploySubModel',
    architecture=architecture,
    fix_subnet=fix_subnet,
    divisor=divisor,
    parse_cfg=dict(
        type='ChannelAnalyzer',
        tracer_type='FxTracer',
        demo_input=dict(
            type='DefaultDemoInput', input_shape=(1, 1, 16, 16),
            scope='mmcls')),
)
