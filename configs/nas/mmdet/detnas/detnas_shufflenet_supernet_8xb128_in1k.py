# ImageNet pre-training of the DetNAS ShuffleNetV2 supernet (same as SPOS).
_base_ = 'mmrazor::nas/mmcls/spos/spos_shufflenet_supernet_8xb128_in1k.py'
