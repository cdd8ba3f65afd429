# Copyright (c) OpenMMLab. All rights reserved.
"""Every file the library writes survives a writer killed mid-way.

Each case writes a file once, then writes it again with the serializer
killed after it wrote part of its output (``Killed`` derives from
``BaseException``, as a ``KeyboardInterrupt`` would): the previous file
must be intact and no temporary file may be left behind.
"""
import hashlib
import json
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn


class Killed(BaseException):
    """Stands for the process being killed mid-write."""


def digest(path) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def only(directory, *names):
    """No temporary leftovers: the directory holds exactly ``names``."""
    assert sorted(os.listdir(str(directory))) == sorted(names)


def partial_then_kill(write_partial):
    """A serializer that writes part of its output, then dies."""

    def serializer(obj, target, *args, **kwargs):
        write_partial(target)
        raise Killed()

    return serializer


def _write_half(target):
    if hasattr(target, 'write'):
        target.write(b'half' if 'b' in
                     getattr(target, 'mode', 'b') else 'half')
    else:
        with open(target, 'wb') as f:
            f.write(b'half')


def test_checkpoint_through_the_hook(tmp_path, monkeypatch):
    """CheckpointHook -> Runner.save_checkpoint -> the local backend."""
    from mmengine.model import BaseModel
    from mmengine.runner import Runner
    from torch.utils.data import DataLoader

    import mmrazor.engine  # noqa: F401  registers the atomic backend

    class Net(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return dict(loss=self.fc(inputs).pow(2).mean())

    saves = []
    original_fsync = os.fsync

    def fsync(fd):
        # the second checkpoint write dies after its bytes were written
        if osp.basename(
                os.readlink(f'/proc/self/fd/{fd}')).startswith('.latest.pth'):
            saves.append(fd)
            if len(saves) == 2:
                raise Killed()
        return original_fsync(fd)

    runner = Runner(
        model=Net(),
        work_dir=str(tmp_path),
        train_dataloader=DataLoader(
            [dict(inputs=torch.ones(2))] * 4, batch_size=1),
        train_cfg=dict(by_epoch=False, max_iters=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook',
                interval=1,
                by_epoch=False,
                filename_tmpl='latest.pth')),
        custom_hooks=[dict(type='mmrazor.CheckpointStateHook')],
        log_level='WARNING')
    monkeypatch.setattr(os, 'fsync', fsync)
    with pytest.raises(Killed):
        runner.train()
    monkeypatch.setattr(os, 'fsync', original_fsync)
    ckpt = torch.load(osp.join(str(tmp_path), 'latest.pth'), weights_only=True)
    assert ckpt['meta']['iter'] == 1  # the first save, whole
    assert not [f for f in os.listdir(str(tmp_path)) if '.tmp' in f]


def test_subnet_yaml(tmp_path, monkeypatch):
    from mmrazor.structures.subnet import fix_subnet
    path = tmp_path / 'subnet.yaml'
    fix_subnet.dump_fix_subnet({'backbone.op': 'conv3x3'}, path)
    before = digest(path)
    monkeypatch.setattr(fix_subnet.fileio, 'dump',
                        partial_then_kill(_write_half))
    with pytest.raises(Killed):
        fix_subnet.dump_fix_subnet({'backbone.op': 'conv5x5'}, path)
    assert digest(path) == before
    only(tmp_path, 'subnet.yaml')


def test_channel_unit_json(tmp_path, monkeypatch):
    from mmrazor.models.mutators.channel_mutator import channel_mutator
    from mmrazor.registry import MODELS
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 1))
    mutator = MODELS.build(
        dict(
            type='mmrazor.ChannelMutator',
            channel_unit_cfg=dict(type='SequentialMutableChannelUnit'),
            parse_cfg=dict(
                type='ChannelAnalyzer',
                demo_input=dict(
                    type='DefaultDemoInput', input_shape=(1, 3, 8, 8)),
                tracer_type='FxTracer')))
    mutator.prepare_from_supernet(model)
    path = tmp_path / 'units.json'
    mutator.dump_units_json(str(path))
    before = digest(path)
    assert json.load(open(path))['type'] == 'ChannelMutator'

    def half_json(obj, f, **kwargs):
        f.write('{"type": "Chan')
        raise Killed()

    monkeypatch.setattr(channel_mutator.json, 'dump', half_json)
    with pytest.raises(Killed):
        mutator.dump_units_json(str(path))
    assert digest(path) == before
    only(tmp_path, 'units.json')


def test_onnx(tmp_path, monkeypatch):
    from mmrazor.models.quantizers.exporters import base_quantize_exporter
    path = tmp_path / 'model.onnx'
    model = nn.Sequential(nn.Linear(4, 2))
    base_quantize_exporter.export_qdq_onnx(model, torch.randn(1, 4), str(path))
    before = digest(path)
    monkeypatch.setattr(
        base_quantize_exporter.torch.onnx, 'export',
        lambda model, args, f, **kw: _write_half(f) or (_ for _ in
                                                        ()).throw(Killed()))
    with pytest.raises(Killed):
        base_quantize_exporter.export_qdq_onnx(
            nn.Sequential(nn.Linear(4, 3)), torch.randn(1, 4), str(path))
    assert digest(path) == before
    only(tmp_path, 'model.onnx')

    import onnx
    monkeypatch.setattr(onnx, 'save', partial_then_kill(_write_half))
    exporter = base_quantize_exporter.BaseQuantizeExportor(
        str(path), str(path))
    with pytest.raises(Killed):
        exporter.save()
    assert digest(path) == before
    only(tmp_path, 'model.onnx')


def test_search_state(tmp_path, monkeypatch):
    from mmrazor.engine.runner.utils import search_state
    path = tmp_path / 'search_state.json'
    search_state.save_search_state(str(path), 'Loop', dict(epoch=1))

    def half_json(obj, f, **kwargs):
        f.write('{"epoch": ')
        raise Killed()

    before = digest(path)
    monkeypatch.setattr(search_state.json, 'dump', half_json)
    with pytest.raises(Killed):
        search_state.save_search_state(str(path), 'Loop', dict(epoch=2))
    assert digest(path) == before
    only(tmp_path, 'search_state.json')


def test_png_plot(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from mmrazor.engine.runner.utils.plot import plot_search_results
    history = {
        str({'op': c}): dict(score=s, flops=f)
        for c, s, f in (('a', 0.5, 1.), ('b', 0.7, 2.))
    }
    path = tmp_path / 'search_results.png'
    plot_search_results(history, {'op': 'b'}, None, str(path))
    before = digest(path)
    monkeypatch.setattr(
        Figure, 'savefig',
        lambda self, fname, **kw: partial_then_kill(_write_half)(None, fname))
    with pytest.raises(Killed):
        plot_search_results(history, {'op': 'a'}, None, str(path))
    assert digest(path) == before
    only(tmp_path, 'search_results.png')
