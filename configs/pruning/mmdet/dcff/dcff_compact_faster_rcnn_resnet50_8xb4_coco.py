_base_ = ['./dcff_faster_rcnn_resnet50_8xb4_coco.py']

# the compact model exported by the DCFF run
model = dict(
    _delete_=True,
    cfg=_base_.architecture,
    _scope_='mmrazor',
    type='sub_model',
    fix_subnet='configs/pruning/mmdet/dcff/fix_subnet.json',
    mode='mutator',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='configs/pruning/mmdet/dcff/fix_subnet_weight.pth'))

val_cfg = dict(_delete_=True)
