# Copyright (c) OpenMMLab. All rights reserved.
from .feature_drawing import (draw_features, norm_features, recorded_features,
                              to_rgb_image, write_png)
from .local_visualizer import modify

__all__ = [
    'modify', 'draw_features', 'norm_features', 'recorded_features',
    'to_rgb_image', 'write_png'
]
