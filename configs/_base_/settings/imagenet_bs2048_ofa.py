# The BigNAS ImageNet recipe with the weight decay and schedule length of
# Once-for-All.
_base_ = ['./imagenet_bs2048_bignas.py']

optim_wrapper = dict(optimizer=dict(weight_decay=0.00003))

max_epochs = 180

# learning policy
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=3,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=0,
        by_epoch=True,
        begin=3,
        end=max_epochs,
        convert_to_iter_based=True),
]

train_cfg = dict(max_epochs=max_epochs)
