# DSNAS search on ImageNet: the SPOS ShuffleNetV2 space with one-hot sampled
# paths; 15 supernet-only epochs, the architecture is searched until epoch
# 80 under a 300 MFLOPs budget, then fixed and the subnet trained to 240.
_base_ = [
    'mmrazor::_base_/settings/imagenet_bs1024_dsnas.py',
    'mmrazor::_base_/nas_backbones/dsnas_shufflenet_supernet.py',
    'mmcls::_base_/default_runtime.py',
]

# model
supernet = dict(
    _scope_='mmcls',
    type='ImageClassifier',
    data_preprocessor=_base_.preprocess_cfg,
    backbone=_base_.nas_backbone,
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(
            type='LabelSmoothLoss',
            num_classes=1000,
            label_smooth_val=0.1,
            mode='original',
            loss_weight=1.0),
        topk=(1, 5)))

model = dict(
    type='mmrazor.DSNAS',
    architecture=supernet,
    mutator=dict(type='mmrazor.NasMutator'),
    pretrain_epochs=15,
    finetune_epochs=_base_.search_epochs,
    flops_constraints=300.0)

model_wrapper_cfg = dict(
    type='mmrazor.DSNASDDP',
    broadcast_buffers=False,
    find_unused_parameters=True)

find_unused_parameters = True

randomness = dict(seed=48, diff_rank_seed=True)
