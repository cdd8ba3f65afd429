# DSNAS on ImageNet: the SPOS data pipeline (8 x 128 images per step) for
# 240 epochs; SGD for the weights, Adam for the architecture parameters.
_base_ = ['./imagenet_bs1024_spos.py']

# optimizer: one wrapper for the supernet weights, one for the arch params
paramwise_cfg = dict(
    bias_decay_mult=0.0, norm_decay_mult=0.0, dwconv_decay_mult=0.0)

optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
        paramwise_cfg=paramwise_cfg),
    mutator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=0.001, weight_decay=0.0)))

search_epochs = 85
# learning policy of the weights (the arch lr is constant)
param_scheduler = dict(
    _delete_=True,
    architecture=[
        dict(
            type='mmcls.LinearLR',
            start_factor=0.1,
            end_factor=1.0,
            begin=0,
            end=5,
            by_epoch=True,
            convert_to_iter_based=True),
        dict(
            type='mmcls.CosineAnnealingLR',
            T_max=235,
            eta_min=0,
            begin=5,
            end=240,
            by_epoch=True,
            convert_to_iter_based=True)
    ],
    mutator=[])

train_cfg = dict(max_epochs=240)
