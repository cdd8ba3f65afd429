# Copyright (c) OpenMMLab. All rights reserved.
"""Checkpoints that load with ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default, and MMEngine's
checkpoints pickle Python objects (``HistoryBuffer`` and, through it,
``builtins.getattr``) that the safe unpickler rightly refuses. MMRazor

* writes the message-hub state in plain form (lists, numbers, strings and
  tensors) - see :class:`mmrazor.engine.hooks.CheckpointStateHook`;
* reads every local checkpoint with ``weights_only=True`` and turns that
  plain form back into ``HistoryBuffer`` objects;
* reads a foreign checkpoint that needs full unpickling only on explicit
  opt-in (``MMRAZOR_TRUST_CHECKPOINT=1`` or ``--trust-checkpoint`` in the
  tools), with a warning that says why.

The safety check is never switched off globally.
"""
import os
import os.path as osp
import pickle
import warnings
from collections import OrderedDict
from typing import Any, Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

PLAIN_MARK = '__mmrazor_plain_state__'
TRUST_ENV = 'MMRAZOR_TRUST_CHECKPOINT'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs full unpickling and was not trusted explicitly."""


class InvalidCheckpointError(ValueError):
    """A file is not a readable checkpoint (empty, truncated, corrupt)."""


def to_plain(value: Any) -> Any:
    """Convert numpy values and containers to weights_only-safe types.

    Args:
        value (Any): A value of the runtime state.

    Returns:
        Any: The same data as dicts, lists, Python scalars and tensors.
    """
    if isinstance(value, HistoryBuffer):
        return {
            PLAIN_MARK: 'HistoryBuffer',
            'log_history': np.asarray(value._log_history).tolist(),
            'count_history': np.asarray(value._count_history).tolist(),
            'max_length': int(value.max_length),
        }
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, OrderedDict):
        return OrderedDict((k, to_plain(v)) for k, v in value.items())
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    return value


def from_plain(value: Any) -> Any:
    """Inverse of :func:`to_plain` for ``HistoryBuffer`` entries."""
    if isinstance(value, dict):
        if value.get(PLAIN_MARK) == 'HistoryBuffer':
            return HistoryBuffer(value['log_history'], value['count_history'],
                                 value['max_length'])
        out = {k: from_plain(v) for k, v in value.items()}
        return OrderedDict(out) if isinstance(value, OrderedDict) else out
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    return value


def plain_message_hub_state(state: Dict) -> Dict:
    """The message hub's ``state_dict`` in weights_only-loadable form."""
    plain = to_plain(state)
    plain[PLAIN_MARK] = 'MessageHub'
    return plain


def restore_checkpoint(checkpoint: Any) -> Any:
    """Turn the plain message-hub state back into MMEngine objects."""
    if isinstance(checkpoint, dict):
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and hub.get(PLAIN_MARK) == 'MessageHub':
            hub = from_plain(hub)
            hub.pop(PLAIN_MARK, None)
            checkpoint['message_hub'] = hub
    return checkpoint


def checkpoint_trusted() -> bool:
    """Whether the user opted in to full unpickling."""
    return os.environ.get(TRUST_ENV, '').lower() in ('1', 'true', 'yes')


def safe_torch_load(filename: str, map_location=None) -> Any:
    """``torch.load`` with ``weights_only=True`` (opt-in fallback).

    Args:
        filename (str): A local file.
        map_location: As for :func:`torch.load`.

    Returns:
        Any: The loaded object, with MMRazor's plain runtime state restored.

    Raises:
        UnsafeCheckpointError: The file needs full unpickling and
            ``MMRAZOR_TRUST_CHECKPOINT`` is not set.
    """
    try:
        checkpoint = torch.load(
            filename, map_location=map_location, weights_only=True)
    except (EOFError, OSError, RuntimeError) as exc:
        size = osp.getsize(filename) if osp.isfile(filename) else 0
        raise InvalidCheckpointError(
            f'{filename} is not a readable checkpoint ({size} bytes; '
            f'{type(exc).__name__}: {str(exc).strip()[:200] or "empty"}); '
            'expected a file written by torch.save, e.g. an interrupted '
            'copy or download needs to be redone.') from exc
    except pickle.UnpicklingError as exc:
        reason = str(exc).strip().splitlines()
        reason = next((line for line in reason
                       if 'Unsupported' in line or 'global' in line.lower()),
                      reason[0] if reason else 'unknown')
        if not checkpoint_trusted():
            raise UnsafeCheckpointError(
                f'{filename} cannot be loaded with torch.load('
                f'weights_only=True): {reason.strip()} It holds pickled '
                'Python objects (checkpoints of MMEngine-based tools other '
                'than mmrazor do). If you trust its origin, load it with '
                f'full unpickling: set {TRUST_ENV}=1 or pass '
                '--trust-checkpoint to the mmrazor tools.') from exc
        warnings.warn(
            f'Loading {filename} with full unpickling (weights_only=False) '
            f'because {TRUST_ENV} is set: it holds Python objects that the '
            f'safe loader refuses ({reason.strip()}). Unpickling can run '
            'arbitrary code: do this only for checkpoints you trust.')
        checkpoint = torch.load(
            filename, map_location=map_location, weights_only=False)
    return restore_checkpoint(checkpoint)


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location=None) -> Any:
    """Load a local checkpoint safely (MMEngine's local scheme).

    Args:
        filename (str): Local checkpoint file path.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict or OrderedDict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)
