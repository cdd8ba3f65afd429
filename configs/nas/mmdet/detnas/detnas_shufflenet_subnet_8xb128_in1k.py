# ImageNet training of the DetNAS-searched ShuffleNetV2 subnet.
_base_ = 'mmrazor::nas/mmcls/spos/spos_shufflenet_supernet_8xb128_in1k.py'

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='sub_model',
    cfg=_base_.supernet,
    fix_subnet='{{ fileDirname }}/DETNAS_SUBNET.yaml')

find_unused_parameters = False
