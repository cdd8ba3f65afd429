# Copyright (c) OpenMMLab. All rights reserved.
"""Resumable search state as JSON: loads without executing code.

A search loop saves plain data (numbers, strings, lists, dicts) and the
random number generator states as lists of integers, so a resumed search
continues exactly where the interrupted one stopped. A ``.pkl`` state of
older versions loads only with the explicit trust switch of checkpoints
(``MMRAZOR_TRUST_CHECKPOINT=1`` or ``--trust-checkpoint``).
"""
import json
import os.path as osp
import pickle
import random
import warnings
from typing import Any, Dict

import numpy as np
import torch

from mmrazor.utils import atomic_open
from ..checkpoint import TRUST_ENV, UnsafeCheckpointError, checkpoint_trusted

FORMAT_KEY = 'mmrazor_search_state'


def capture_rng_json() -> Dict[str, Any]:
    """The Python, NumPy and torch RNG states as JSON-safe data.

    Returns:
        dict: Lists of integers and numbers only.
    """
    version, internal, gauss = random.getstate()
    np_state = np.random.get_state()
    state = {
        'python': [version, list(internal), gauss],
        'numpy': [
            np_state[0], np_state[1].tolist(),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4])
        ],
        'torch':
        torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return state


def restore_rng_json(state: Dict[str, Any]) -> None:
    """Restore what :func:`capture_rng_json` captured.

    Args:
        state (dict): The captured states.
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    key, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state(
        (key, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(torch.tensor(state['torch'], dtype=torch.uint8))
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(
            [torch.tensor(s, dtype=torch.uint8) for s in state['cuda']])


def save_search_state(path: str, owner: str, state: Dict[str, Any]) -> None:
    """Write a search state as JSON, atomically.

    Args:
        path (str): The ``.json`` file.
        owner (str): The loop class name, checked on load.
        state (dict): JSON-serialisable data.
    """
    payload = {FORMAT_KEY: owner}
    payload.update(state)
    with atomic_open(path, 'w') as f:
        json.dump(payload, f)


def load_search_state(path: str, owner: str) -> Dict[str, Any]:
    """Read a search state written by :func:`save_search_state`.

    Args:
        path (str): A ``.json`` state, or a legacy ``.pkl`` one (trusted
            explicitly only).
        owner (str): The loop class name expected in the file.

    Returns:
        dict: The state. A legacy pickle is returned as it was saved.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: A pickle that was not trusted explicitly.
        ValueError: The file is not a search state of ``owner``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: search state {path} does not exist')
    if path.endswith('.pkl'):
        if not checkpoint_trusted():
            raise UnsafeCheckpointError(
                f'{owner}: {path} is a pickled search state of an older '
                'version; unpickling can run arbitrary code. If you trust '
                f'its origin, set {TRUST_ENV}=1 or pass --trust-checkpoint '
                'to the mmrazor tools; new states are written as JSON.')
        warnings.warn(f'{owner}: loading the pickled search state {path} '
                      f'because {TRUST_ENV} is set.')
        with open(path, 'rb') as f:
            state = pickle.load(f)
        if not isinstance(state, dict):
            raise ValueError(f'{owner}: {path} holds a '
                             f'{type(state).__name__}, expected a dict')
        return state
    try:
        with open(path, encoding='utf-8') as f:
            state = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f'{owner}: {path} is not a valid JSON search state '
                         f'({exc})') from exc
    if not isinstance(state, dict) or state.get(FORMAT_KEY) != owner:
        found = state.get(FORMAT_KEY) if isinstance(state, dict) else None
        raise ValueError(
            f'{owner}: {path} is not a search state of {owner} (its '
            f'{FORMAT_KEY!r} is {found!r}); expected a file written by '
            f'{owner} (search_state.json or search_epoch_<n>.json).')
    return state
