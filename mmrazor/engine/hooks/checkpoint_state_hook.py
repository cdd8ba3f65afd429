# Copyright (c) OpenMMLab. All rights reserved.
import random
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmrazor.registry import HOOKS
from ..runner.checkpoint import plain_message_hub_state


def capture_rng_state() -> Dict[str, Any]:
    """Every global RNG state a training run uses, as safe types."""
    np_state = np.random.get_state()
    state = {
        'python': list(random.getstate()),
        'numpy': {
            'key': np_state[0],
            'state': torch.from_numpy(np_state[1].astype(np.int64)),
            'pos': int(np_state[2]),
            'has_gauss': int(np_state[3]),
            'cached_gaussian': float(np_state[4]),
        },
        'torch': torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`capture_rng_state` captured."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np_state = state['numpy']
    np.random.set_state(
        (np_state['key'], np_state['state'].numpy().astype(np.uint32),
         np_state['pos'], np_state['has_gauss'], np_state['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class CheckpointStateHook(Hook):
    """Make checkpoints weights_only-loadable and resumes bit-exact.

    * Before a checkpoint is saved, the message-hub state is converted to
      plain types (see :mod:`mmrazor.engine.runner.checkpoint`) and the
      Python, NumPy, torch (and CUDA) RNG states are added as
      ``checkpoint['rng_state']``.
    * When a run resumes, those RNG states are restored, so training goes on
      exactly as an uninterrupted run would.
    * Validation runs between a saved state and the next training step, so
      it is made RNG-neutral: the RNG states are restored after it.

    ``tools/train.py`` and ``tools/test.py`` add this hook automatically.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._rng_before_val: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = plain_message_hub_state(
                checkpoint['message_hub'])
        checkpoint['rng_state'] = capture_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if getattr(runner, '_resume', False) and 'rng_state' in checkpoint:
            restore_rng_state(checkpoint['rng_state'])

    def before_val(self, runner) -> None:
        self._rng_before_val = capture_rng_state()

    def after_val(self, runner) -> None:
        if self._rng_before_val is not None:
            restore_rng_state(self._rng_before_val)
            self._rng_before_val = None
