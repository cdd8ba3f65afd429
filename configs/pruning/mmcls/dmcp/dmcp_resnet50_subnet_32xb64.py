# The DMCP subnet of ResNet-50 (DMCP_R50_2G.json) trained from scratch on
# ImageNet.
_base_ = ['mmcls::resnet/resnet50_8xb32_in1k.py']

model = dict(
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.model,
    fix_subnet='configs/pruning/mmcls/dmcp/DMCP_R50_2G.json',
    mode='mutator')

custom_hooks = []
