# A tiny SPOS ShuffleNetV2 supernet on scikit-learn's digits (16x16 grey):
# 3 stages x 2 choice blocks, each one of ShuffleBlock 3x3/5x5/7x7 and
# ShuffleXception (4^6 = 4096 subnets). Step 1 of the digits NAS chain:
#   python tools/train.py configs/nas/mmcls/spos/digits/<this>.py
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../../_base_/datasets/mmcls/digits_bs32.py',
]

_STAGE_MUTABLE = dict(
    _scope_='mmrazor',
    type='OneShotMutableOP',
    candidates=dict(
        shuffle_3x3=dict(type='ShuffleBlock', kernel_size=3),
        shuffle_5x5=dict(type='ShuffleBlock', kernel_size=5),
        shuffle_7x7=dict(type='ShuffleBlock', kernel_size=7),
        shuffle_xception=dict(type='ShuffleXception')))

arch_setting = [
    # channel, num_blocks, mutable_cfg
    [24, 2, _STAGE_MUTABLE],
    [48, 2, _STAGE_MUTABLE],
    [96, 2, _STAGE_MUTABLE],
]

nas_backbone = dict(
    _scope_='mmrazor',
    type='SearchableShuffleNetV2',
    in_channels={{_base_.channels}},
    widen_factor=1.0,
    out_indices=(3, ),
    arch_setting=arch_setting)

supernet = dict(
    type='mmcls.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=nas_backbone,
    neck=dict(type='mmcls.GlobalAveragePooling'),
    head=dict(
        type='mmcls.LinearClsHead',
        num_classes=10,
        in_channels=1024,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

model = dict(
    type='mmrazor.SPOS',
    architecture=supernet,
    mutator=dict(type='mmrazor.NasMutator'))

find_unused_parameters = True

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=4e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', T_max=24, by_epoch=True, begin=1, end=25)
]
train_cfg = dict(by_epoch=True, max_epochs=25, val_interval=25)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=25, max_keep_ckpts=1),
)
randomness = dict(seed=0, deterministic=False)
