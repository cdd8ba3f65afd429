# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import (UnsafeCheckpointError, load_from_local,
                         safe_torch_load)

__all__ = ['UnsafeCheckpointError', 'safe_torch_load', 'load_from_local']
