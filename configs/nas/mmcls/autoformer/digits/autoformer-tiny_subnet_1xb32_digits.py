# Step 3 of the digits AutoFormer chain: the searched subnet as a static
# model sliced from the trained supernet (weights inherited, no
# retraining):
#   python tools/test.py configs/nas/mmcls/autoformer/digits/<this>.py \
#       none --cfg-options \
#       model.fix_subnet=<search work dir>/best_fix_subnet.yaml \
#       model.init_cfg.checkpoint=<supernet checkpoint>
# DIGITS_SUBNET.yaml is a subnet found by step 2 (kept as an example).
_base_ = ['./autoformer-tiny_supernet_1xb32_digits.py']

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{ fileDirname }}/DIGITS_SUBNET.yaml',
    # initialise the supernet from its checkpoint, then slice it
    init_weight_from_supernet=True,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='work_dirs/autoformer-tiny_supernet_1xb32_digits/'
        'epoch_30.pth',
        prefix='architecture.'))

find_unused_parameters = False
