# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint_state_hook import CheckpointStateHook

__all__ = ['CheckpointStateHook']
