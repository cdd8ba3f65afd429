# Group Fisher pruning of the vanilla digits ResNet-18 (16 base channels):
# one channel every `interval` iterations, normalised by FLOPs, until the
# model has `target_flop_ratio` of its FLOPs; work_dir/flops_0.50.pth is
# then saved and the training stops (ResourceInfoHook). Filled-in copy of
# configs/pruning/base/group_fisher/group_fisher_prune_template.py.
#############################################################################
_base_ = '../../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py'
pretrained_path = 'work_dirs/vanilla/epoch_15.pth'

interval = 2
normalization_type = 'flops'
lr_ratio = 0.1

target_flop_ratio = 0.5
input_shape = (1, 1, 16, 16)
##############################################################################

architecture = _base_.model

if hasattr(_base_, 'data_preprocessor'):
    architecture.update({'data_preprocessor': _base_.data_preprocessor})
    data_preprocessor = None

architecture.init_cfg = dict(type='Pretrained', checkpoint=pretrained_path)
architecture['_scope_'] = _base_.default_scope

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='GroupFisherAlgorithm',
    architecture=architecture,
    interval=interval,
    mutator=dict(
        type='GroupFisherChannelMutator',
        parse_cfg=dict(
            type='ChannelAnalyzer',
            tracer_type='FxTracer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=input_shape,
                scope='mmcls')),
        channel_unit_cfg=dict(
            type='GroupFisherChannelUnit',
            default_args=dict(normalization_type=normalization_type, ),
        ),
    ),
)

model_wrapper_cfg = dict(
    type='mmrazor.GroupFisherDDP',
    broadcast_buffers=False,
)

optim_wrapper = dict(
    optimizer=dict(lr=_base_.optim_wrapper.optimizer.lr * lr_ratio))
# a constant learning rate while pruning (the training stops early)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=100)
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=100)

custom_hooks = getattr(_base_, 'custom_hooks', []) + [
    dict(type='mmrazor.PruningStructureHook'),
    dict(
        type='mmrazor.ResourceInfoHook',
        interval=interval,
        demo_input=dict(
            type='mmrazor.DefaultDemoInput',
            input_shape=input_shape,
            scope='mmcls'),
        save_ckpt_thr=[target_flop_ratio],
    ),
]
