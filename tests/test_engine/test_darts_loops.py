# Copyright (c) OpenMMLab. All rights reserved.
"""DARTS loops: zipped dataloaders (the shorter restarts) and exact resume
(stopped and resumed == uninterrupted, on CPU with a fixed seed)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmrazor.engine.runner.darts_loop import EpochMultiLoader, IterMultiLoader

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(
    REPO, 'configs/nas/mmcls/darts/digits/'
    'darts_supernet_1xb32_digits.py')


def _loader(n, batch_size=2, seed=0):
    return DataLoader(
        list(range(n)),
        batch_size=batch_size,
        sampler=DefaultSampler(list(range(n)), shuffle=True, seed=seed))


def test_epoch_multi_loader_restarts_the_shorter():
    multi = EpochMultiLoader([_loader(10), _loader(4)])
    assert len(multi) == 5
    multi.set_epoch(3)
    pairs = list(multi)
    assert len(pairs) == 5
    first = torch.cat([a for a, _ in pairs]).tolist()
    second = torch.cat([b for _, b in pairs]).tolist()
    assert sorted(first) == list(range(10))
    # 3 passes of the short loader (2 + 2 + 1 batches), each a permutation
    assert sorted(second[:4]) == sorted(second[4:8]) == [0, 1, 2, 3]
    assert second[:4] != second[4:8]  # reshuffled on restart
    # the batches depend on the epoch only (resumable)
    again = EpochMultiLoader([_loader(10), _loader(4)])
    again.set_epoch(3)
    assert [torch.cat(p).tolist() for p in again] == \
        [torch.cat(p).tolist() for p in pairs]
    multi.set_epoch(4)
    assert [torch.cat(p).tolist() for p in multi] != \
        [torch.cat(p).tolist() for p in pairs]


def test_iter_multi_loader_skip_equals_advancing():
    ref = IterMultiLoader([_loader(6), _loader(4)])
    seq = [torch.cat(next(ref)).tolist() for _ in range(11)]
    resumed = IterMultiLoader([_loader(6), _loader(4)])
    resumed.skip(7)
    assert [torch.cat(next(resumed)).tolist() for _ in range(4)] == seq[7:]


def _cfg(work_dir, by_epoch, resume=False, **train_cfg):
    cfg = Config.fromfile(DIGITS)
    cfg.work_dir = str(work_dir)
    cfg.model.architecture.backbone.update(base_channels=2, num_nodes=2)
    cfg.model.architecture.head.in_channels = 16
    for key, split, n in (('train_dataloader', 'train', 32), ('val_dataloader',
                                                              'val', 16)):
        cfg[key].batch_size = 16
        cfg[key].dataset.update(split=split, img_size=8, indices=n)
    mutator_loader = copy.deepcopy(cfg.train_dataloader)
    mutator_loader.dataset.update(split='val', indices=32)
    cfg.param_scheduler = dict(
        architecture=[
            dict(type='CosineAnnealingLR', T_max=10, by_epoch=False)
        ],
        mutator=[])
    if by_epoch:
        cfg.train_cfg = dict(
            type='mmrazor.DartsEpochBasedTrainLoop',
            mutator_dataloader=mutator_loader,
            val_interval=1,
            **train_cfg)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    else:
        cfg.train_cfg = dict(
            type='mmrazor.DartsIterBasedTrainLoop',
            mutator_dataloader=mutator_loader,
            val_interval=2,
            **train_cfg)
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', interval=2, by_epoch=False)
        cfg.log_processor = dict(by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.custom_hooks = [dict(type='mmrazor.CheckpointStateHook')]
    cfg.resume = resume
    cfg.default_scope = 'mmrazor'
    return cfg


class _Killed(Exception):
    pass


class KillHook(Hook):
    """Kill the run right after the checkpoint of epoch/iter ``at``."""
    priority = 'LOWEST'

    def __init__(self, at, by_epoch):
        self.at, self.by_epoch = at, by_epoch

    def after_train_epoch(self, runner):
        if self.by_epoch and runner.epoch == self.at:
            raise _Killed

    def after_train_iter(self, runner, batch_idx, data_batch, outputs):
        if not self.by_epoch and runner.iter + 1 == self.at:
            raise _Killed


def _state(runner):
    model = runner.model
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.slow
@pytest.mark.parametrize('by_epoch', [True, False])
def test_stopped_and_resumed_equals_uninterrupted(tmp_path, by_epoch):
    """A run killed right after a checkpoint and resumed by a new runner
    ends with the same weights, arch params and buffers as an uninterrupted
    run."""
    import mmpretrain.registry  # noqa: F401
    key = 'max_epochs' if by_epoch else 'max_iters'
    full, stop = (3, 2) if by_epoch else (6, 4)
    runner = Runner.from_cfg(_cfg(tmp_path / 'full', by_epoch, **{key: full}))
    runner.train()
    expected = _state(runner)
    alpha_moved = max(
        float(p.detach().abs().max())
        for p in runner.model.mutator.arch_params.values())
    assert alpha_moved > 2e-3  # arch params left their 1e-3 init scale

    part = Runner.from_cfg(_cfg(tmp_path / 'part', by_epoch, **{key: full}))
    part.register_hook(KillHook(stop, by_epoch))
    with pytest.raises(_Killed):
        part.train()
    resumed = Runner.from_cfg(
        _cfg(tmp_path / 'part', by_epoch, resume=True, **{key: full}))
    resumed.train()
    got = _state(resumed)
    assert got.keys() == expected.keys()
    for name in expected:
        assert torch.equal(got[name], expected[name]), name
    assert any(k.startswith('mutator.arch_params') for k in got)
