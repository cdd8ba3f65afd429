# Copyright (c) OpenMMLab. All rights reserved.
from .darts_backbone import DartsBackbone
from .autoformer_backbone import AutoformerBackbone
from .searchable_mobilenet_v2 import SearchableMobileNetV2
from .searchable_shufflenet_v2 import SearchableShuffleNetV2

__all__ = ['SearchableMobileNetV2', 'SearchableShuffleNetV2']
__all__ += ['DartsBackbone']
from .searchable_mobilenet_v3 import AttentiveMobileNetV3  # noqa: E402

__all__ += ['AttentiveMobileNetV3']
__all__ += ['AutoformerBackbone']
