# Step 3 of the digits NAS chain: retrain the searched subnet from scratch.
#   python tools/train.py configs/nas/mmcls/spos/digits/<this>.py \
#       --cfg-options model.fix_subnet=<search work dir>/best_fix_subnet.yaml
# DIGITS_SUBNET.yaml is a subnet found by step 2 (kept as an example).
_base_ = ['./spos_shufflenet-tiny_supernet_1xb32_digits.py']

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{ fileDirname }}/DIGITS_SUBNET.yaml')

find_unused_parameters = False
