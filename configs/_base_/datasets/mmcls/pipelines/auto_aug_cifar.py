# AutoAugment for CIFAR training pipelines (MMRazor's transform, resolved by
# its registry name in any default scope).
auto_aug = dict(type='mmrazor.AutoAugment', policies='original')
