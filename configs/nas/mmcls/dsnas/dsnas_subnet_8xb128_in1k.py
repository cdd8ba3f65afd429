# Train the DSNAS subnet (DSNAS_SUBNET_IMAGENET_PAPER_ALIAS.yaml: module paths
# of the OneHotMutableOPs relative to the classifier) from scratch.
_base_ = ['./dsnas_supernet_8xb128_in1k.py']

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{ fileDirname }}/DSNAS_SUBNET_IMAGENET_PAPER_ALIAS.yaml')

model_wrapper_cfg = None
find_unused_parameters = False

optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=_base_.paramwise_cfg)
param_scheduler = _base_.param_scheduler.architecture
