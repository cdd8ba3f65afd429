_base_ = ['./spos_shufflenet_supernet_8xb128_in1k.py']

# The searched subnet (module paths relative to the classifier). Replace
# it with the best_fix_subnet.yaml written by your own search.
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{ fileDirname }}/SPOS_SUBNET.yaml')

find_unused_parameters = False
