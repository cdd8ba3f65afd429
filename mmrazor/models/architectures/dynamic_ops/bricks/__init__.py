# Copyright (c) OpenMMLab. All rights reserved.
from .dmcp_batch_norm import DMCPBatchNorm2d
from .dynamic_container import DynamicSequential
from .dynamic_conv import DynamicConv2d, DynamicConv2dAdaptivePadding
from .dynamic_linear import DynamicLinear
from .dynamic_norm import (DynamicBatchNorm1d, DynamicBatchNorm2d,
                           DynamicBatchNorm3d, DynamicBatchNormXd,
                           DynamicGroupNorm, DynamicLayerNorm,
                           DynamicLayerNorm2d, DynamicSyncBatchNorm)

__all__ = [
    'DynamicConv2d', 'DynamicConv2dAdaptivePadding', 'DynamicLinear',
    'DynamicBatchNorm1d', 'DynamicBatchNorm2d', 'DynamicBatchNorm3d',
    'DynamicBatchNormXd', 'DynamicSyncBatchNorm', 'DynamicLayerNorm',
    'DynamicSequential', 'DynamicLayerNorm2d', 'DynamicGroupNorm',
    'DMCPBatchNorm2d'
]
from .switchable_batch_norm import SwitchableBatchNorm2d  # noqa: E402

__all__ += ['SwitchableBatchNorm2d']
from .dynamic_fuse_conv import FuseConv2d  # noqa: E402

__all__ += ['FuseConv2d']
