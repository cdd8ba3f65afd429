# Step 3 of the digits AutoSlim chain: retrain the searched subnets as one
# slimmable network (a private BN per width) and validate each of them.
# The units come from the search's slimmable_config.json:
#   python tools/train.py configs/nas/mmcls/autoslim/digits/<this>.py \
#       --work-dir work_dirs/autoslim_digits_slimmable
# Deploy subnet i as a static model with --cfg-options model.deploy_index=i
# (tools/test.py with the slimmable checkpoint).
_base_ = ['../../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SlimmableNetwork',
    architecture=_base_.model,
    mutator=dict(
        type='SlimmableChannelMutator',
        channel_unit_cfg=dict(
            type='SlimmableChannelUnit',
            units='work_dirs/autoslim_digits_search/slimmable_config.json'),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            tracer_type='FxTracer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 1, 16, 16),
                scope='mmcls'))))

model_wrapper_cfg = dict(
    type='mmrazor.SlimmableNetworkDDP',
    broadcast_buffers=False,
    find_unused_parameters=True)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=14, by_epoch=True, begin=1, end=15)
]
val_cfg = dict(type='mmrazor.SlimmableValLoop')
