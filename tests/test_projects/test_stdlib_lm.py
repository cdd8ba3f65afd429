# Copyright (c) OpenMMLab. All rights reserved.
import math
import os
import sys
from unittest import mock

import pytest
import torch
import torch.nn as nn

REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(
    0, os.path.join(REPO, 'projects/mmrazor_large/examples/stdlib_lm'))

import compress  # noqa: E402
import tiny_lm  # noqa: E402

TINY = dict(dim=32, depth=2, heads=2, context=32)
TRAIN = dict(steps=4, batch=4, lr=3e-3, warmup=2)


@pytest.fixture(scope='module')
def lm_and_data(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('lm'))
    train = tiny_lm.read_corpus(tiny_lm.TRAIN_FILES[:1], limit=20000)
    test = tiny_lm.read_corpus(tiny_lm.TEST_FILES, limit=2000)
    model = tiny_lm.get_trained_lm(work_dir, TINY, TRAIN, train_data=train)
    return work_dir, model, train, test


def test_corpus_and_cache(lm_and_data):
    work_dir, model, train, test = lm_and_data
    assert train.dtype == torch.int64 and int(train.max()) < 256
    assert len(test) == 2000
    files = [f for f in os.listdir(work_dir) if f.endswith('.pth')]
    assert len(files) == 1
    state = torch.load(os.path.join(work_dir, files[0]), weights_only=True)
    assert set(state) == set(model.state_dict())
    with mock.patch.object(tiny_lm, 'train_lm') as train_fn:
        again = tiny_lm.get_trained_lm(work_dir, TINY, TRAIN)
    train_fn.assert_not_called()
    x = train[:32].unsqueeze(0)
    torch.testing.assert_close(again(x), model(x))
    ppl = tiny_lm.perplexity(model, test)
    assert 1 < ppl < 256 and math.isfinite(ppl)
    with pytest.raises(FileNotFoundError, match='no_such_module'):
        tiny_lm.read_corpus(['no_such_module.py'])


@pytest.mark.parametrize('method,kwargs', [
    ('gptq', dict(bits=3, groupsize=-1, actorder=True)),
    ('sparsegpt', dict(sparsity=0.5)),
    ('sparsegpt', dict(sparsity=0.5, prunen=2, prunem=4)),
])
def test_compress_lm(lm_and_data, method, kwargs):
    import copy
    _, model, train, test = lm_and_data
    model = copy.deepcopy(model)
    calib = tiny_lm.calibration_batches(train, model.context, 8, batch=4)
    compress.compress_lm(model, calib, method, **kwargs)
    linears = compress.block_linears(model)
    assert len(linears) == 8
    assert all(type(m) is nn.Linear for m in linears)
    for m in linears:
        if method == 'gptq':
            for row in m.weight:
                assert row.unique().numel() <= 8
        else:
            zeros = (m.weight == 0).float().mean().item()
            assert zeros == pytest.approx(0.5, abs=1e-6)
    assert math.isfinite(tiny_lm.perplexity(model, test))


def test_baselines(lm_and_data):
    import copy
    _, model, _, _ = lm_and_data
    q = compress.rtn_quantize_(copy.deepcopy(model), 4, groupsize=16)
    for m in compress.block_linears(q):
        for row in m.weight.reshape(-1, 16):
            assert row.unique().numel() <= 16
    p = compress.magnitude_prune_(copy.deepcopy(model), prunen=2, prunem=4)
    from mmrazor.implementations.pruning.sparse_gpt import is_weight_sparse_24
    assert all(
        is_weight_sparse_24(m.weight) for m in compress.block_linears(p))
    with pytest.raises(ValueError, match='unknown method'):
        compress.compress_lm(copy.deepcopy(model), [], 'obs')
