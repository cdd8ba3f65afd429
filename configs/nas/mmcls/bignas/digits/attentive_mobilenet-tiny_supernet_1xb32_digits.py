# A tiny AttentiveMobileNetV3 (BigNAS search space) on scikit-learn's digits
# (16x16 grey): 4 stages, searchable kernel size, expand ratio, depth and
# widths, and the input size (12x12 or 16x16). Trained with the BigNAS
# sandwich rule (max + min + 2 random subnets, in-place distillation);
# every validation reports the max, min and random subnets after BN
# recalibration.
#   python tools/train.py configs/nas/mmcls/bignas/digits/<this>.py
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../../_base_/datasets/mmcls/digits_bs32.py',
]

arch_setting = dict(
    kernel_size=[  # [min_kernel_size, max_kernel_size, step]
        [3, 5, 2],
        [3, 5, 2],
        [3, 5, 2],
        [3, 5, 2],
    ],
    num_blocks=[  # [min_num_blocks, max_num_blocks, step]
        [1, 2, 1],
        [1, 2, 1],
        [1, 3, 1],
        [1, 2, 1],
    ],
    expand_ratio=[  # [min_expand_ratio, max_expand_ratio, step]
        [1, 1, 1],
        [2, 4, 1],
        [2, 4, 1],
        [2, 4, 1],
        [4, 4, 1],  # last layer
    ],
    num_out_channels=[  # [min_channel, max_channel, step]
        [8, 16, 8],  # first layer
        [8, 16, 8],
        [16, 24, 8],
        [24, 32, 8],
        [32, 48, 8],
        [128, 256, 128],  # last layer
    ])

input_resizer_cfg = dict(input_sizes=[[12, 12], [16, 16]])

nas_backbone = dict(
    _scope_='mmrazor',
    type='AttentiveMobileNetV3',
    arch_setting=arch_setting,
    in_channels={{_base_.channels}},
    out_indices=(4, ),
    stride_list=[1, 2, 2, 1],
    with_se_list=[False, False, True, True],
    act_cfg_list=['Swish'] * 6,
    conv_cfg=dict(type='mmrazor.BigNasConv2d'),
    norm_cfg=dict(type='mmrazor.DynamicBatchNorm2d', momentum=0.1),
    fine_grained_mode=False,
    with_attentive_shortcut=True)

supernet = dict(
    _scope_='mmrazor',
    type='SearchableImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=nas_backbone,
    neck=dict(type='SqueezeMeanPoolingWithDropout', drop_ratio=0.1),
    head=dict(
        type='DynamicLinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
    input_resizer_cfg=input_resizer_cfg,
    connect_head=dict(connect_with_backbone='backbone.last_mutable_channels'))

model = dict(
    _scope_='mmrazor',
    type='BigNAS',
    drop_path_rate=0.1,
    num_random_samples=2,
    backbone_dropout_stages=[3, 4],
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
    mutator=dict(type='mmrazor.NasMutator'))

model_wrapper_cfg = dict(
    type='mmrazor.BigNASDDP',
    broadcast_buffers=False,
    find_unused_parameters=True)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=19,
        by_epoch=True,
        begin=1,
        end=20,
        convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=20)
val_cfg = dict(type='mmrazor.SubnetValLoop', calibrate_sample_num=512)
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=1),
)
randomness = dict(seed=0, deterministic=False)
