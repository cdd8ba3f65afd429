# WRN-16-2 (0.69 M parameters) on CIFAR-10: the OFD student baseline.
model = dict(
    type='mmcls.ImageClassifier',
    backbone=dict(
        type='mmrazor.WideResNet',
        depth=16,
        num_stages=3,
        widen_factor=2,
    ),
    neck=dict(type='mmcls.GlobalAveragePooling'),
    head=dict(
        type='mmcls.LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
    ))
