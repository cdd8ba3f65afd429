# Copyright (c) OpenMMLab. All rights reserved.
from .crd_dataset_wrapper import CRDDataset  # noqa: F401
from .digits import DigitsDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['DigitsDataset']
