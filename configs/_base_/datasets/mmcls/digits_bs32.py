# scikit-learn's handwritten digits (ships inside the scikit-learn wheel):
# 1,797 real 8x8 images, split 60/20/20 into train/val/test, upsampled to
# 16x16 grey images. No download.
img_size = 16
channels = 1

dataset_type = 'mmrazor.DigitsDataset'
data_preprocessor = dict(
    type='mmcls.ClsDataPreprocessor',
    num_classes=10,
    mean=[127.5] * channels,
    std=[127.5] * channels,
    to_rgb=False)

train_pipeline = [dict(type='mmcls.PackClsInputs')]
test_pipeline = [dict(type='mmcls.PackClsInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='train',
        img_size=img_size,
        channels=channels,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='val',
        img_size=img_size,
        channels=channels,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmcls.Accuracy', topk=(1, ))

test_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='test',
        img_size=img_size,
        channels=channels,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
