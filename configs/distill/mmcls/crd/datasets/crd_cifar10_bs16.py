# CIFAR-10 for CRD: every sample carries its index and the indices of one
# positive and `neg_num` negatives (CRDDataset + PackCRDClsInputs).
dataset_type = 'CIFAR10'
data_preprocessor = dict(
    num_classes=10,
    # RGB format normalization parameters
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    # loaded images are already RGB format
    to_rgb=False)

train_pipeline = [
    dict(_scope_='mmcls', type='RandomCrop', crop_size=32, padding=4),
    dict(_scope_='mmcls', type='RandomFlip', prob=0.5,
         direction='horizontal'),
    dict(_scope_='mmrazor', type='PackCRDClsInputs'),
]

test_pipeline = [
    dict(_scope_='mmcls', type='PackClsInputs'),
]

neg_num = 16384
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        type='mmrazor.CRDDataset',
        dataset=dict(
            _scope_='mmcls',
            type=dataset_type,
            data_prefix='data/cifar10',
            test_mode=False,
            pipeline=train_pipeline),
        neg_num=neg_num,
        sample_mode='exact',
        percent=1.0),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        _scope_='mmcls',
        type=dataset_type,
        data_prefix='data/cifar10/',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(_scope_='mmcls', type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
