# Retrain a DARTS genotype searched on digits from scratch: the cells of the
# search (3 cells of 2 nodes) with 16 base channels and affine BN, fixed to
# the subnet YAML (DARTS format: top-2 input edges of every node and the op
# of every kept edge). DARTS_SUBNET_DIGITS.yaml is the genotype found by
# darts_supernet_1xb32_digits.py (kept as an example).
#   python tools/train.py configs/nas/mmcls/darts/digits/<this>.py \
#       --cfg-options model.fix_subnet=<search work dir>/subnet_epoch_5.yaml
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../../_base_/datasets/mmcls/digits_bs32.py',
    '../../../../_base_/nas_backbones/darts_supernet.py',
]

subnet_backbone = _base_.nas_backbone
subnet_backbone.update(
    in_channels=_base_.channels,
    base_channels=16,
    num_layers=3,
    num_nodes=2,
    stem_multiplier=2,
    out_indices=(2, ),
    norm_cfg=dict(type='BN', affine=True))

supernet = dict(
    type='mmcls.ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=subnet_backbone,
    neck=dict(type='mmcls.GlobalAveragePooling'),
    head=dict(
        type='mmrazor.DartsSubnetClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

model = dict(
    _scope_='mmrazor',
    type='sub_model',
    cfg=supernet,
    fix_subnet='{{ fileDirname }}/DARTS_SUBNET_DIGITS.yaml')

find_unused_parameters = False

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=20, by_epoch=True, begin=0, end=20)
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=20)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=1),
)
randomness = dict(seed=0, deterministic=False)
