# Copyright (c) OpenMMLab. All rights reserved.
from .dynamic_conv_mixins import DynamicConvMixin
from .dynamic_mixins import (DynamicBatchNormMixin, DynamicChannelMixin,
                             DynamicLayerNormMixin, DynamicLinearMixin,
                             DynamicMixin)

__all__ = [
    'DynamicMixin', 'DynamicChannelMixin', 'DynamicBatchNormMixin',
    'DynamicLinearMixin', 'DynamicConvMixin', 'DynamicLayerNormMixin'
]
from .dynamic_resize_mixin import DynamicResizeMixin  # noqa: E402

__all__ += ['DynamicResizeMixin']
from .dynamic_conv_mixins import BigNasConvMixin, OFAConvMixin  # noqa

__all__ += ['BigNasConvMixin', 'OFAConvMixin']
from .fuse_conv_mixin import FuseConvMixin  # noqa: E402

__all__ += ['FuseConvMixin']
