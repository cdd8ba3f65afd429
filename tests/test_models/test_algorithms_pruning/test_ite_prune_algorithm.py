# Copyright (c) OpenMMLab. All rights reserved.
import copy
import json
import os.path as osp

import pytest
import torch
from mmengine.logging import MessageHub

from mmrazor.models.algorithms.pruning import (ItePruneAlgorithm,
                                               ItePruneConfigManager)


def _arch():
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8,
            num_stages=2,
            out_indices=(1, ),
            strides=(1, 2),
            dilations=(1, 1)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=16,
            loss=dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(
            type='ClsDataPreprocessor', mean=[0.], std=[1.]))


MUTATOR = dict(
    type='ChannelMutator',
    channel_unit_cfg=dict(
        type='L1MutableChannelUnit', default_args=dict(choice_mode='ratio')),
    parse_cfg=dict(
        type='ChannelAnalyzer',
        demo_input=dict(
            type='DefaultDemoInput', input_shape=(1, 1, 8, 8), scope='mmcls')))


def test_config_manager_schedule():
    m = ItePruneConfigManager(
        target=dict(a=0.5, b=8),
        supernet=dict(a=1.0, b=16),
        step_freq=2,
        prune_times=2)
    assert [m.is_prune_time(i) for i in range(6)] == \
        [True, False, True, False, False, False]
    assert m.prune_at(0) == dict(a=0.75, b=12)
    assert m.prune_at(2) == dict(a=0.5, b=8)
    jump = ItePruneConfigManager(
        dict(a=0.5), dict(a=1.0), 1, 3, linear_schedule=False)
    assert jump.prune_at(0) == dict(a=0.5)


def test_ite_prune_algorithm_prunes_and_exports(tmp_path):
    torch.manual_seed(0)
    algo = ItePruneAlgorithm(_arch(), mutator_cfg=MUTATOR)
    names = list(algo.mutator.choice_template)
    target = {n: 0.5 for n in names}
    algo = ItePruneAlgorithm(
        _arch(),
        mutator_cfg=MUTATOR,
        target_pruning_ratio=target,
        step_freq=1,
        prune_times=2)
    with pytest.raises(KeyError, match='unknown units'):
        ItePruneAlgorithm(
            _arch(), mutator_cfg=MUTATOR, target_pruning_ratio={'nope': 0.5})
    hub = MessageHub.get_instance('test_ite_prune')
    hub.update_info('max_epochs', 1)
    hub.update_info('max_iters', 4)
    algo.train()
    x = torch.rand(2, 1, 8, 8)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    for it in range(3):
        hub.update_info('iter', it)
        losses = algo(x, samples, mode='loss')
        assert 'loss' in losses
        if it == 0:
            assert all(
                abs(c - 0.75) < 0.07
                for c in algo.mutator.current_choices.values())
    assert all(
        abs(c - 0.5) < 0.07 for c in algo.mutator.current_choices.values())
    # static export equals the masked dynamic model
    from mmrazor.engine.runner.ite_prune_val_loop import save_pruned_subnet
    from mmrazor.structures.subnet import export_fix_subnet
    algo.eval()
    with torch.no_grad():
        dyn = algo(x, mode='tensor')
        _, static = export_fix_subnet(
            algo, export_subnet_mode='mutator', slice_weight=True)
        out = static.architecture(x, mode='tensor')
    assert torch.allclose(dyn, out, atol=1e-5)
    n_static = sum(p.numel() for p in static.architecture.parameters())
    n_full = sum(p.numel() for p in algo.architecture.parameters())
    assert n_static < 0.5 * n_full
    # the files of ItePruneValLoop, reloaded through sub_model (mutator)
    json_path, pth_path = save_pruned_subnet(algo, str(tmp_path))
    with open(json_path) as f:
        fix = json.load(f)
    assert fix['type'] == 'ChannelMutator'
    assert fix['channel_unit_cfg']['type'] == 'L1MutableChannelUnit'
    from mmrazor.registry import MODELS
    sub = MODELS.build(
        dict(
            type='mmrazor.sub_model',
            cfg=_arch(),
            fix_subnet=json_path,
            mode='mutator'))
    state = torch.load(pth_path, map_location='cpu')['state_dict']
    sub.load_state_dict(state)
    sub.eval()
    with torch.no_grad():
        assert torch.allclose(sub(x, mode='tensor'), dyn, atol=1e-5)

    # ONNX export of the static model runs in onnxruntime
    ort = pytest.importorskip('onnxruntime')

    class Tensor(torch.nn.Module):

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x, mode='tensor')

    onnx_path = osp.join(str(tmp_path), 'pruned.onnx')
    torch.onnx.export(
        Tensor(sub), (x, ), onnx_path, opset_version=17, dynamo=False)
    sess = ort.InferenceSession(onnx_path, providers=['CPUExecutionProvider'])
    got = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    assert abs(got - dyn.numpy()).max() < 1e-4
    # the pruned model is smaller on disk too
    assert osp.getsize(onnx_path) > 0
    copy.deepcopy(algo)


def test_unknown_unit_behind_an_unsupported_op_names_the_op():
    """A unit whose channels reach an op without a channel rule (here
    ``pixel_shuffle``, which moves channels into space) is kept whole by
    the analysis; a target naming it says which op kept it."""
    from mmengine.model import BaseModel

    class Net(BaseModel):

        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            x = self.conv2(self.conv1(inputs).relu())
            return torch.nn.functional.pixel_shuffle(x, 2)

    mutator = dict(
        type='ChannelMutator',
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(type='BaseDemoInput', input_shape=(1, 3, 8, 8)),
            tracer_type='BackwardTracer'))
    algo = ItePruneAlgorithm(Net(), mutator_cfg=mutator)
    assert list(algo.mutator.choice_template) == ['conv1_(0, 8)_8']
    with pytest.raises(KeyError) as info:
        ItePruneAlgorithm(
            Net(),
            mutator_cfg=mutator,
            target_pruning_ratio={'conv2_(0, 8)_8': 0.5})
    message = str(info.value)
    assert "unknown units ['conv2_(0, 8)_8']" in message
    assert 'keeps whole the channels that reach unsupported ops' in message
    assert 'PixelShuffle' in message
