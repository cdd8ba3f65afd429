# Copyright (c) OpenMMLab. All rights reserved.
from .pseudo_losses import (CascadeEncoderDecoderPseudoLoss,
                            ImageClassifierPseudoLoss,
                            SingleStageDetectorPseudoLoss, SumPseudoLoss,
                            TwoStageDetectorPseudoLoss, sum_outputs)

__all__ = [
    'SumPseudoLoss', 'ImageClassifierPseudoLoss',
    'SingleStageDetectorPseudoLoss', 'TwoStageDetectorPseudoLoss',
    'CascadeEncoderDecoderPseudoLoss', 'sum_outputs'
]
