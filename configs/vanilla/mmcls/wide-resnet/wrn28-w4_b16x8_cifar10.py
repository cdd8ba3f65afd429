# WRN-28-4 on CIFAR-10 (8 GPUs x 16 images).
_base_ = ['wrn16-w2_b16x8_cifar10.py']
model = dict(
    backbone=dict(depth=28, widen_factor=4),
    head=dict(in_channels=256),
)
