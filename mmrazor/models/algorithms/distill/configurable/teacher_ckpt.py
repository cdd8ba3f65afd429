# Copyright (c) OpenMMLab. All rights reserved.
"""Load a teacher checkpoint and refuse silent failures.

A known failure of detection KD was a teacher that silently loaded
nothing (every key had a different prefix) and the student was distilled
against random features. Here every missing, unexpected or mis-shaped key
is reported by name, and a checkpoint that loads nothing is an error.
"""
import logging
from typing import Dict, List, Tuple

import torch.nn as nn

from mmrazor.utils import print_log


def _short(keys: List[str], limit: int = 20) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f' ... (+{len(keys) - limit} more)'
                    if len(keys) > limit else '')


def _common_prefix_hint(ckpt_keys: List[str], own_keys: List[str]) -> str:
    own = set(own_keys)
    for key in ckpt_keys:
        parts = key.split('.')
        for i in range(1, len(parts)):
            prefix = '.'.join(parts[:i]) + '.'
            hits = sum(1 for k in ckpt_keys
                       if k.startswith(prefix) and k[len(prefix):] in own)
            if hits:
                return (f' Stripping the prefix {prefix!r} would match '
                        f'{hits} keys (e.g. convert an algorithm checkpoint '
                        'with tools/model_converters/'
                        'convert_kd_ckpt_to_student.py).')
        break
    return ''


def load_teacher_checkpoint(
        teacher: nn.Module,
        filename: str,
        name: str = 'teacher',
        map_location: str = 'cpu') -> Tuple[List[str], List[str]]:
    """Load ``filename`` into ``teacher`` and check what was loaded.

    Args:
        teacher (nn.Module): The teacher model.
        filename (str): Checkpoint path or URL.
        name (str): Name used in messages.
        map_location (str): Defaults to ``'cpu'``.

    Returns:
        tuple: ``(missing_keys, unexpected_keys)``.

    Raises:
        RuntimeError: When no parameter of the checkpoint matches the
            teacher (name and shape).
    """
    # imported here: mmengine.runner (and, with it, OpenCV) is not needed
    # to import mmrazor.models; the safe local loader registers itself
    from mmengine.runner.checkpoint import CheckpointLoader

    import mmrazor.engine.runner.checkpoint  # noqa: F401
    checkpoint = CheckpointLoader.load_checkpoint(
        filename, map_location=map_location)
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        state: Dict = checkpoint['state_dict']
    else:
        state = checkpoint
    if not isinstance(state, dict):
        raise RuntimeError(f'{name}_ckpt {filename!r} holds no state dict '
                           f'(got {type(state).__name__})')
    state = {
        (k[7:] if k.startswith('module.') else k): v
        for k, v in state.items()
    }
    own = teacher.state_dict()
    loadable, mismatched = dict(), []
    for key, value in state.items():
        if key in own:
            if hasattr(value, 'shape') and \
                    tuple(value.shape) != tuple(own[key].shape):
                mismatched.append(f'{key} (checkpoint '
                                  f'{tuple(value.shape)}, model '
                                  f'{tuple(own[key].shape)})')
            else:
                loadable[key] = value
    if not loadable:
        raise RuntimeError(
            f'{name}_ckpt {filename!r} loads nothing into the {name} '
            f'({type(teacher).__name__}): none of its {len(state)} keys '
            f'(e.g. {_short(list(state), 3)}) match the {len(own)} keys of '
            f'the model (e.g. {_short(list(own), 3)}).' +
            (f' Shape mismatches: {_short(mismatched, 5)}.' if mismatched else
             '') + _common_prefix_hint(list(state), list(own)))
    teacher.load_state_dict(loadable, strict=False)
    missing = [k for k in own if k not in loadable]
    unexpected = [k for k in state if k not in own]
    problems = []
    if missing:
        problems.append(f'missing keys in the checkpoint: {_short(missing)}')
    if unexpected:
        problems.append(f'unexpected keys in the checkpoint: '
                        f'{_short(unexpected)}')
    if mismatched:
        problems.append(f'shape mismatches (not loaded): '
                        f'{_short(mismatched)}')
    if problems:
        print_log(
            f'{name}_ckpt {filename!r} loaded {len(loadable)}/{len(own)} '
            f'tensors of the {name}; ' + '; '.join(problems),
            logger='current',
            level=logging.WARNING)
    else:
        print_log(
            f'{name}_ckpt {filename!r}: all {len(own)} tensors loaded',
            logger='current')
    return missing, unexpected + mismatched
