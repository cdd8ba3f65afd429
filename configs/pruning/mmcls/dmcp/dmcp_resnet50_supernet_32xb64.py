# DMCP supernet of ResNet-50 on ImageNet: trains the weights with the
# sandwich rule and, from `arch_start_train`, the Markov channel
# probabilities towards `target_flops` (MFLOPs); the DMCPSubnetHook writes
# the sampled subnets into work_dir/model_sample.
_base_ = [
    'mmrazor::_base_/settings/imagenet_bs2048_dmcp.py',
    'mmcls::_base_/models/resnet50.py',
    'mmcls::_base_/default_runtime.py',
]

# model settings
supernet = _base_.model
supernet.data_preprocessor = dict(
    type='mmcls.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DMCP',
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
    mutator_cfg=dict(
        type='DMCPChannelMutator',
        channel_unit_cfg=dict(type='DMCPChannelUnit'),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=(1, 3, 224, 224),
            tracer_type='BackwardTracer')),
    strategy=['max', 'min', 'arch_random'],
    arch_start_train=5000,
    arch_train_freq=500,
    distillation_times=20000,
    target_flops=2000,
    flops_loss_type='log_l1',
    flop_loss_weight=0.1)

model_wrapper_cfg = dict(
    type='mmrazor.DMCPDDP',
    broadcast_buffers=False,
    find_unused_parameters=True)

randomness = dict(seed=0, diff_rank_seed=False)
