# Copyright (c) OpenMMLab. All rights reserved.
"""Testing helpers; not imported by ``register_all_modules``."""
from ._fx_models import ConvBNReLU  # noqa: F401
from ._quant_toys import (
    TOY_SKIPPED_METHODS,
    ToyQuantClassifier,  # noqa
    ToyQuantHead,
    toy_global_qconfig,
    toy_quant_model_cfg)
