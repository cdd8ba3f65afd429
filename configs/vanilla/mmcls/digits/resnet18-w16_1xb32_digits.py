# A small CIFAR-style ResNet-18 (16 base channels, 0.70 M parameters) on
# scikit-learn's digits: the model that the KD, NAS, pruning and
# quantization demos start from. Trains to ~98 % in about a minute on two
# CPU cores:  python tools/train.py configs/vanilla/mmcls/digits/<this>.py
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../_base_/datasets/mmcls/digits_bs32.py',
]

model = dict(
    type='mmcls.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='mmcls.ResNet_CIFAR',
        depth=18,
        in_channels={{_base_.channels}},
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='mmcls.GlobalAveragePooling'),
    head=dict(
        type='mmcls.LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', T_max=14, by_epoch=True, begin=1, end=15)
]
train_cfg = dict(by_epoch=True, max_epochs=15, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2),
)
randomness = dict(seed=0, deterministic=False)
