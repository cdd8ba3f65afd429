# AutoSlim supernet of the digits ResNet-18 (16 base channels, 16x16 grey
# inputs): every unit may keep 2/8 .. 8/8 of its channels. Each iteration
# trains the max, the min and two random subnets (sandwich rule); the min
# and random subnets also learn from the max subnet's logits (in-place
# distillation). Step 1 of the digits AutoSlim chain:
#   python tools/train.py configs/nas/mmcls/autoslim/digits/<this>.py \
#       --work-dir work_dirs/autoslim_digits
_base_ = ['../../../../vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py']

supernet = _base_.model

num_random_samples = 2
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='AutoSlim',
    num_random_samples=num_random_samples,
    architecture=supernet,
    distiller=dict(
        type='ConfigurableDistiller',
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kl=dict(type='KLDivergence', tau=1, loss_weight=1)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(recorder='fc', from_student=True),
                preds_T=dict(recorder='fc', from_student=False)))),
    mutator=dict(
        type='OneShotChannelMutator',
        channel_unit_cfg=dict(
            type='OneShotMutableChannelUnit',
            default_args=dict(
                candidate_choices=list(i / 8 for i in range(2, 9)),
                choice_mode='ratio')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            tracer_type='FxTracer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 1, 16, 16),
                scope='mmcls'))))

model_wrapper_cfg = dict(
    type='mmrazor.AutoSlimDDP',
    broadcast_buffers=False,
    find_unused_parameters=False)

# one optimizer step per iteration: the gradients of the four subnets add
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4),
    accumulative_counts=num_random_samples + 2)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=15, by_epoch=True, begin=1, end=16)
]
# the subnets are scored by the greedy search (step 2), not here
train_cfg = dict(by_epoch=True, max_epochs=16, val_interval=100)
val_cfg = None
val_dataloader = None
val_evaluator = None
search_dataloader = _base_.val_dataloader
search_evaluator = _base_.val_evaluator

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=16, max_keep_ckpts=1))
