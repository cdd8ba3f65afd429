# A small DARTS search on scikit-learn's digits (16x16 grey), first order:
# 3 cells (normal, reduction, reduction) of 2 nodes, 4 base channels, the 8
# DARTS ops on every edge. The weights train on 640 images of the `train`
# split, the architecture parameters on the `val` split (360 images: the
# shorter loader restarts within an epoch).
#   python tools/train.py configs/nas/mmcls/darts/digits/<this>.py
# The searched genotype is written as <work_dir>/subnet_epoch_{n}.yaml.
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../../_base_/datasets/mmcls/digits_bs32.py',
    '../../../../_base_/nas_backbones/darts_supernet.py',
]

digits_backbone = _base_.nas_backbone
digits_backbone.update(
    in_channels=_base_.channels,
    base_channels=4,
    num_layers=3,
    num_nodes=2,
    stem_multiplier=2,
    out_indices=(2, ))

supernet = dict(
    type='mmcls.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=digits_backbone,
    neck=dict(type='mmcls.GlobalAveragePooling'),
    head=dict(
        type='mmcls.LinearClsHead',
        num_classes=10,
        in_channels=32,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

model = dict(
    type='mmrazor.Darts',
    architecture=supernet,
    mutator=dict(type='mmrazor.NasMutator'),
    unroll=False)

find_unused_parameters = False

train_dataloader = dict(dataset=dict(indices=640))

mutator_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(
        type={{_base_.dataset_type}},
        split='val',
        img_size={{_base_.img_size}},
        channels={{_base_.channels}},
        pipeline={{_base_.train_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
        clip_grad=dict(max_norm=5, norm_type=2)),
    mutator=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='Adam', lr=6e-3, betas=(0.5, 0.999), weight_decay=1e-3)))

search_epochs = 5
param_scheduler = dict(
    architecture=[
        dict(
            type='CosineAnnealingLR',
            T_max=search_epochs,
            eta_min=1e-3,
            by_epoch=True,
            begin=0,
            end=search_epochs)
    ],
    mutator=[])

train_cfg = dict(
    type='mmrazor.DartsEpochBasedTrainLoop',
    mutator_dataloader=mutator_dataloader,
    max_epochs=search_epochs,
    val_interval=search_epochs)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [
    dict(type='mmrazor.DumpSubnetHook', interval=search_epochs, by_epoch=True)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=search_epochs),
)
randomness = dict(seed=0, deterministic=False)
