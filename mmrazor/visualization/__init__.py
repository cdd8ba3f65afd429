# Copyright (c) OpenMMLab. All rights reserved.
from .feature_drawing import (draw_features, norm_features, recorded_features,
                              to_rgb_image, write_png)
from .local_visualizer import modify
from .plots import (layer_channels, plot_kd_accuracy, plot_pruning_structure,
                    read_val_metrics)

__all__ = [
    'modify', 'draw_features', 'norm_features', 'recorded_features',
    'to_rgb_image', 'write_png', 'layer_channels', 'plot_pruning_structure',
    'read_val_metrics', 'plot_kd_accuracy'
]
