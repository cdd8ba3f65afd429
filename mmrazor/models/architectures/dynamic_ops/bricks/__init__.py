# Copyright (c) OpenMMLab. All rights reserved.
from .dmcp_batch_norm import DMCPBatchNorm2d
from .dynamic_container import DynamicSequential
from .dynamic_conv import (BigNasConv2d, DynamicConv2d,
                           DynamicConv2dAdaptivePadding, OFAConv2d)
from .dynamic_embed import DynamicPatchEmbed
from .dynamic_fuse_conv import FuseConv2d
from .dynamic_linear import DynamicLinear
from .dynamic_multi_head_attention import DynamicMultiheadAttention
from .dynamic_norm import (DynamicBatchNorm1d, DynamicBatchNorm2d,
                           DynamicBatchNorm3d, DynamicBatchNormXd,
                           DynamicGroupNorm, DynamicLayerNorm,
                           DynamicLayerNorm2d, DynamicSyncBatchNorm)
from .dynamic_relative_position import DynamicRelativePosition2D
from .dynamic_resizer import DynamicInputResizer
from .switchable_batch_norm import SwitchableBatchNorm2d
from .dynamic_conv import DynamicConvTranspose2d  # noqa: I001

__all__ = [
    'DynamicConv2d', 'DynamicConv2dAdaptivePadding', 'DynamicLinear',
    'DynamicBatchNorm1d', 'DynamicBatchNorm2d', 'DynamicBatchNorm3d',
    'DynamicBatchNormXd', 'DynamicSyncBatchNorm', 'DynamicLayerNorm',
    'DynamicSequential', 'DynamicLayerNorm2d', 'DynamicGroupNorm',
    'DynamicPatchEmbed', 'DynamicMultiheadAttention',
    'DynamicRelativePosition2D', 'DynamicInputResizer', 'BigNasConv2d',
    'OFAConv2d', 'DMCPBatchNorm2d', 'SwitchableBatchNorm2d', 'FuseConv2d'
]
__all__ += ['DynamicConvTranspose2d']
