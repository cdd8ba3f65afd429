# The DMCP subnet of MobileNetV2 (DMCP_MBV2_100M.json) trained from scratch on
# ImageNet.
_base_ = ['mmcls::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']

model = dict(
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.model,
    fix_subnet='configs/pruning/mmcls/dmcp/DMCP_MBV2_100M.json',
    mode='mutator')

custom_hooks = []
