# Copyright (c) OpenMMLab. All rights reserved.
import random
import warnings

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from mmrazor.engine import CheckpointStateHook
from mmrazor.engine.hooks.checkpoint_state_hook import (capture_rng_state,
                                                        restore_rng_state)
from mmrazor.engine.runner.checkpoint import (TRUST_ENV, UnsafeCheckpointError,
                                              safe_torch_load)


class NotAllowed:
    """A class the safe unpickler must refuse."""


def runner_like(resume=True):

    class R:
        _resume = resume

    return R()


def message_hub_state():
    hub = MessageHub.get_instance('test_ckpt_hub')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float32(0.5))
    hub.update_info('epoch', 3)
    hub.update_info('np_value', np.int64(7))
    hub.update_info('dataset_meta', dict(classes=('a', 'b')))
    return hub.state_dict()


def test_saved_state_loads_with_weights_only(tmp_path):
    checkpoint = dict(
        meta=dict(epoch=3, iter=30, seed=0),
        state_dict={'w': torch.ones(2)},
        message_hub=message_hub_state())
    CheckpointStateHook().before_save_checkpoint(runner_like(), checkpoint)
    path = tmp_path / 'ckpt.pth'
    torch.save(checkpoint, path)
    # plain torch.load with the safe unpickler accepts it
    torch.load(path, weights_only=True)
    loaded = _load_checkpoint(str(path))  # MMEngine's local scheme
    hub = loaded['message_hub']
    buf = hub['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.data[0].tolist() == [1.5, 0.5]
    assert hub['runtime_info']['np_value'] == 7
    assert hub['runtime_info']['dataset_meta'] == dict(classes=('a', 'b'))
    assert 'rng_state' in loaded


def test_foreign_checkpoint_needs_explicit_trust(tmp_path, monkeypatch):
    path = tmp_path / 'mmengine_style.pth'
    torch.save(dict(state_dict={}, message_hub=message_hub_state()), path)
    monkeypatch.delenv(TRUST_ENV, raising=False)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_torch_load(str(path))
    assert str(path) in str(info.value)
    assert TRUST_ENV in str(info.value)
    assert '--trust-checkpoint' in str(info.value)
    monkeypatch.setenv(TRUST_ENV, '1')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        loaded = safe_torch_load(str(path))
    assert any('full unpickling' in str(w.message) for w in caught)
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)


def test_weights_only_is_not_switched_off_globally(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': NotAllowed()}, path)
    with pytest.raises(Exception):
        torch.load(path)  # torch's own default stays weights_only=True


def test_rng_capture_restore_roundtrip():
    state = capture_rng_state()
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    restore_rng_state(state)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b


def test_hook_restores_rng_only_on_resume_and_around_val():
    hook = CheckpointStateHook()
    ckpt = {}
    hook.before_save_checkpoint(runner_like(), ckpt)
    expected = torch.rand(3)
    hook.after_load_checkpoint(runner_like(resume=False), ckpt)
    assert not torch.equal(torch.rand(3), expected)
    hook.after_load_checkpoint(runner_like(resume=True), ckpt)
    assert torch.equal(torch.rand(3), expected)
    # validation does not disturb the training RNG stream
    state = capture_rng_state()
    nxt = torch.rand(2)
    restore_rng_state(state)
    hook.before_val(None)
    torch.rand(100)
    np.random.rand(5)
    hook.after_val(None)
    assert torch.equal(torch.rand(2), nxt)
