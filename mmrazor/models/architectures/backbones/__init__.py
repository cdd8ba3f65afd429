# Copyright (c) OpenMMLab. All rights reserved.
from .autoformer_backbone import AutoformerBackbone
from .darts_backbone import DartsBackbone
from .searchable_mobilenet_v2 import SearchableMobileNetV2
from .searchable_mobilenet_v3 import AttentiveMobileNetV3
from .searchable_shufflenet_v2 import SearchableShuffleNetV2
from .wideresnet import WideResNet

__all__ = [
    'SearchableMobileNetV2', 'SearchableShuffleNetV2', 'WideResNet',
    'DartsBackbone', 'AttentiveMobileNetV3', 'AutoformerBackbone'
]
