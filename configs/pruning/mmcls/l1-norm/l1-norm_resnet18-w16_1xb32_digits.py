# L1-norm pruning of the vanilla digits ResNet-18 (16 base channels) to
# about 50 % FLOPs, finetuned in the same run. The architecture starts from
# the vanilla checkpoint (override with
#   --cfg-options model.architecture.init_cfg.checkpoint=<vanilla.pth>).
# Every validation writes work_dir/fix_subnet.json and
# work_dir/fix_subnet_weight.pth (ItePruneValLoop); the deploy config
# l1-norm_resnet18-w16_1xb32_digits_deploy.py builds the static model.
_base_ = ['../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py']

inner = 0.5  # the first conv of each block
stage = 0.875  # the channels shared by a residual stage
target_pruning_ratio = {
    'backbone.conv1_(0, 16)_16': stage,
    'backbone.layer1.0.conv1_(0, 16)_16': inner,
    'backbone.layer1.1.conv1_(0, 16)_16': inner,
    'backbone.layer2.0.conv1_(0, 32)_32': inner,
    'backbone.layer2.0.conv2_(0, 32)_32': stage,
    'backbone.layer2.1.conv1_(0, 32)_32': inner,
    'backbone.layer3.0.conv1_(0, 64)_64': inner,
    'backbone.layer3.0.conv2_(0, 64)_64': stage,
    'backbone.layer3.1.conv1_(0, 64)_64': inner,
    'backbone.layer4.0.conv1_(0, 128)_128': inner,
    'backbone.layer4.0.conv2_(0, 128)_128': stage,
    'backbone.layer4.1.conv1_(0, 128)_128': inner,
}

architecture = _base_.model
architecture.init_cfg = dict(
    type='Pretrained',
    checkpoint='work_dirs/vanilla/epoch_15.pth')

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='ItePruneAlgorithm',
    architecture=architecture,
    mutator_cfg=dict(
        type='ChannelMutator',
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            tracer_type='FxTracer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 1, 16, 16),
                scope='mmcls'))),
    target_pruning_ratio=target_pruning_ratio,
    step_freq=1,
    prune_times=1,
)

# finetune after pruning at the first iteration
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=4)
val_cfg = dict(_delete_=True, type='mmrazor.ItePruneValLoop')
