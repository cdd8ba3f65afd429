# DARTS search (second order, `unroll=True`) on CIFAR-10: an 8-cell
# supernet with 16 base channels; the searched genotype is dumped every 10
# epochs as subnet_epoch_{n}.yaml (DARTS subnet format: the top-2 input
# edges of every node and the op of every kept edge).
_base_ = [
    'mmrazor::_base_/settings/cifar10_darts_supernet.py',
    'mmrazor::_base_/nas_backbones/darts_supernet.py',
    'mmcls::_base_/default_runtime.py',
]

custom_hooks = [
    dict(type='mmrazor.DumpSubnetHook', interval=10, by_epoch=True)
]

# model
model = dict(
    type='mmrazor.Darts',
    architecture=dict(
        type='mmcls.ImageClassifier',
        data_preprocessor=_base_.preprocess_cfg,
        backbone=_base_.nas_backbone,
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=10,
            in_channels=256,
            loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5),
            cal_acc=True)),
    mutator=dict(type='mmrazor.NasMutator'),
    unroll=True)

model_wrapper_cfg = dict(
    type='mmrazor.DartsDDP',
    broadcast_buffers=False,
    find_unused_parameters=False)

find_unused_parameters = False
