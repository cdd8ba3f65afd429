# Copyright (c) OpenMMLab. All rights reserved.
from .dynamic_container import DynamicSequential
from .dynamic_conv import DynamicConv2d, DynamicConv2dAdaptivePadding
from .dynamic_embed import DynamicPatchEmbed
from .dynamic_linear import DynamicLinear
from .dynamic_multi_head_attention import DynamicMultiheadAttention
from .dynamic_norm import (DynamicBatchNorm1d, DynamicBatchNorm2d,
                           DynamicBatchNorm3d, DynamicBatchNormXd,
                           DynamicGroupNorm, DynamicLayerNorm,
                           DynamicLayerNorm2d, DynamicSyncBatchNorm)
from .dynamic_relative_position import DynamicRelativePosition2D

__all__ = [
    'DynamicConv2d', 'DynamicConv2dAdaptivePadding', 'DynamicLinear',
    'DynamicBatchNorm1d', 'DynamicBatchNorm2d', 'DynamicBatchNorm3d',
    'DynamicBatchNormXd', 'DynamicSyncBatchNorm', 'DynamicLayerNorm',
    'DynamicSequential', 'DynamicLayerNorm2d', 'DynamicGroupNorm',
    'DynamicPatchEmbed', 'DynamicMultiheadAttention',
    'DynamicRelativePosition2D'
]
from .dynamic_resizer import DynamicInputResizer  # noqa: E402

__all__ += ['DynamicInputResizer']
from .dynamic_conv import BigNasConv2d, OFAConv2d  # noqa: E402

__all__ += ['BigNasConv2d', 'OFAConv2d']
