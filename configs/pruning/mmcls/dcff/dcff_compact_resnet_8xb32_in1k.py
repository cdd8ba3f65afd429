_base_ = ['dcff_resnet_8xb32_in1k.py']

# the compact model: the structure exported by the DCFF run
# (fix_subnet.json, loaded in mutator mode) with its fused weights
# (fix_subnet_weight.pth, written next to it by ItePruneValLoop)
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=dict(
        cfg_path='mmcls::resnet/resnet50_8xb32_in1k.py', pretrained=False),
    fix_subnet='configs/pruning/mmcls/dcff/fix_subnet.json',
    mode='mutator',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='configs/pruning/mmcls/dcff/fix_subnet_weight.pth'))

val_cfg = dict(_delete_=True)
