# DARTS search on CIFAR-10: the weights are trained on `train_dataloader`,
# the architecture parameters on `mutator_dataloader` (two independently
# shuffled passes over the training set), zipped by
# mmrazor.DartsEpochBasedTrainLoop. 50 epochs, SGD (lr 0.025, cosine to
# 1e-3, grad clip 5) for the weights and Adam (lr 3e-4) for the arch params.

dataset_type = 'mmcls.CIFAR10'
preprocess_cfg = dict(
    num_classes=10,
    # RGB format normalization parameters
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    # loaded images are already RGB format
    to_rgb=False)

train_pipeline = [
    dict(type='mmcls.RandomCrop', crop_size=32, padding=4),
    dict(type='mmcls.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmcls.PackClsInputs'),
]

test_pipeline = [
    dict(type='mmcls.PackClsInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/cifar10',
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='mmcls.DefaultSampler', shuffle=True),
    persistent_workers=True,
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/cifar10',
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='mmcls.DefaultSampler', shuffle=False),
    persistent_workers=True,
)
val_evaluator = dict(type='mmcls.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator

# the architecture parameters are trained on a second pass of the data
mutator_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/cifar10',
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='mmcls.DefaultSampler', shuffle=True),
    persistent_workers=True,
)

# optimizer: one wrapper for the supernet weights, one for the arch params
optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=3e-4),
        clip_grad=dict(max_norm=5, norm_type=2)),
    mutator=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='Adam', lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)))

search_epochs = 50
# learning policy (of the weights only; the arch lr is constant)
param_scheduler = dict(
    architecture=[
        dict(
            type='mmcls.CosineAnnealingLR',
            T_max=search_epochs,
            eta_min=1e-3,
            begin=0,
            end=search_epochs,
            by_epoch=True,
            convert_to_iter_based=True)
    ],
    mutator=[])

# train, val, test setting
train_cfg = dict(
    type='mmrazor.DartsEpochBasedTrainLoop',
    mutator_dataloader=mutator_dataloader,
    max_epochs=search_epochs,
    val_interval=1)
val_cfg = dict()
test_cfg = dict()
