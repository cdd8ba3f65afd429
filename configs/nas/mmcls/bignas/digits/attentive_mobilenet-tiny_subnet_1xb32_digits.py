# Export a subnet of the trained digits supernet as a static model, without
# retraining, and evaluate it (BN statistics recalibrated on training data):
#   python tools/test.py \
#       configs/nas/mmcls/bignas/digits/<this>.py none \
#       --cfg-options model.init_cfg.checkpoint=<work dir>/epoch_20.pth
# DIGITS_MIN_SUBNET.yaml / DIGITS_MAX_SUBNET.yaml are the smallest and the
# largest subnets of the search space (pick one with model.fix_subnet=...).
_base_ = ['./attentive_mobilenet-tiny_supernet_1xb32_digits.py']

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{ fileDirname }}/DIGITS_MIN_SUBNET.yaml',
    # slice the trained supernet: load it first, then fix the subnet
    init_weight_from_supernet=True,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='work_dirs/attentive_mobilenet-tiny_supernet_1xb32_digits/'
        'epoch_20.pth',
        prefix='architecture.'))

model_wrapper_cfg = None
find_unused_parameters = False

val_cfg = dict(
    type='mmrazor.SubnetValLoop',
    evaluate_fixed_subnet=True,
    calibrate_sample_num=512)
test_cfg = val_cfg
