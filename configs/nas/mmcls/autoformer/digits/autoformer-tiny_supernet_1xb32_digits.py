# A tiny AutoFormer ViT supernet on scikit-learn's digits (16x16 grey,
# 4x4 patches: 16 tokens + the class token). Search space: embed dims
# 32/48/64, depth 2-4, per block 1/2/4 heads of 16 dims and MLP ratio
# 1/2/3. Step 1 of the digits AutoFormer chain:
#   python tools/train.py \
#       configs/nas/mmcls/autoformer/digits/<this>.py
_base_ = [
    'mmcls::_base_/default_runtime.py',
    '../../../../_base_/datasets/mmcls/digits_bs32.py',
]

supernet = dict(
    _scope_='mmrazor',
    type='SearchableImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='mmrazor.AutoformerBackbone',
        arch_setting=dict(
            mlp_ratios=[1.0, 2.0, 3.0],
            num_heads=[1, 2, 4],
            depth=[2, 3, 4],
            embed_dims=[32, 48, 64]),
        img_size={{_base_.img_size}},
        patch_size=4,
        in_channels={{_base_.channels}},
        head_dims=16,
        max_relative_position=3,
        drop_path_rate=0.0),
    neck=None,
    head=dict(
        type='DynamicLinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='mmcls.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
    connect_head=dict(connect_with_backbone='backbone.last_mutable'))

model = dict(
    type='mmrazor.Autoformer',
    architecture=supernet,
    mutator=dict(type='mmrazor.NasMutator'))

find_unused_parameters = True

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2),
    dict(type='CosineAnnealingLR', T_max=28, by_epoch=True, begin=2, end=30)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=30, max_keep_ckpts=1),
)
randomness = dict(seed=0, deterministic=False)
