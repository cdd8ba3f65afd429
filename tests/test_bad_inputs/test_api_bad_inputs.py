# Copyright (c) OpenMMLab. All rights reserved.
"""Bad input to the library API: a named exception whose message names
the offending file/key/module and what was expected."""
import mmpretrain.registry  # noqa: F401,I001
import json

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmrazor.engine.runner import InvalidCheckpointError, safe_torch_load
from mmrazor.engine.runner.checkpoint import UnsafeCheckpointError
from mmrazor.models.mutables import OneShotMutableOP
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import load_fix_subnet


class Supernet(BaseModel):

    def __init__(self):
        super().__init__()
        self.op = OneShotMutableOP(
            nn.ModuleDict({
                'conv1x1': nn.Conv2d(3, 4, 1),
                'conv3x3': nn.Conv2d(3, 4, 3, padding=1)
            }),
            alias='stem')

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.op(inputs)


def _conv_net(prefix_channels=8):
    return nn.Sequential(
        nn.Conv2d(3, prefix_channels, 3), nn.BatchNorm2d(prefix_channels),
        nn.ReLU(), nn.Conv2d(prefix_channels, 4, 1))


# --- load_fix_subnet -----------------------------------------------------


def test_subnet_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='subnet.yaml does not exist'):
        load_fix_subnet(Supernet(), str(tmp_path / 'subnet.yaml'))


def test_subnet_empty_yaml(tmp_path):
    path = tmp_path / 'empty.yaml'
    path.write_text('')
    with pytest.raises(TypeError, match=r'empty.yaml is empty; expected a'):
        load_fix_subnet(Supernet(), str(path))


def test_subnet_yaml_of_the_wrong_shape(tmp_path):
    path = tmp_path / 'list.yaml'
    path.write_text('- conv1x1\n- conv3x3\n')
    with pytest.raises(TypeError, match='list.yaml must hold a mapping'):
        load_fix_subnet(Supernet(), str(path))


def test_subnet_corrupt_yaml(tmp_path):
    path = tmp_path / 'corrupt.yaml'
    path.write_text('stem: [conv1x1\n')
    with pytest.raises(ValueError, match='corrupt.yaml cannot be parsed'):
        load_fix_subnet(Supernet(), str(path))


def test_subnet_written_for_another_model(tmp_path):
    path = tmp_path / 'other.yaml'
    path.write_text('backbone.layers.0.0: {chosen: shuffle_3x3}\n')
    with pytest.raises(KeyError) as info:
        load_fix_subnet(Supernet(), str(path))
    msg = str(info.value)
    assert "unknown keys ['backbone.layers.0.0']" in msg
    assert "missing keys ['stem']" in msg and 'Expected keys' in msg


def test_subnet_choice_outside_the_candidates():
    with pytest.raises(KeyError) as info:
        load_fix_subnet(Supernet(), {'stem': 'conv7x7'})
    msg = str(info.value)
    assert "'stem'" in msg and "'conv7x7'" in msg
    assert "['conv1x1', 'conv3x3']" in msg


def test_subnet_pickle_needs_trust(tmp_path, monkeypatch):
    import pickle
    monkeypatch.delenv('MMRAZOR_TRUST_CHECKPOINT', raising=False)
    path = tmp_path / 'subnet.pkl'
    path.write_bytes(pickle.dumps({'stem': 'conv1x1'}))
    with pytest.raises(UnsafeCheckpointError, match='subnet.pkl is a pickle'):
        load_fix_subnet(Supernet(), str(path))


def test_subnet_unknown_mutable_alias_in_mutator_cfg():
    with pytest.raises(KeyError) as info:
        MODELS.build(
            dict(
                type='mmrazor.SPOS',
                architecture=Supernet(),
                mutator=dict(
                    type='mmrazor.NasMutator', custom_groups=[['stme']])))
    assert "'stme'" in str(info.value) and "['stem']" in str(info.value)


# --- channel-unit JSON loaders -------------------------------------------


def _mutator(units):
    from mmrazor.models.mutators import ChannelMutator
    return ChannelMutator(
        channel_unit_cfg=dict(
            type='SequentialMutableChannelUnit', units=units),
        parse_cfg=dict(type='Config'))


def test_units_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='units.json does not exist'):
        _mutator(str(tmp_path / 'units.json'))


def test_units_truncated_json(tmp_path):
    path = tmp_path / 'units.json'
    path.write_text('{"type": "ChannelMutator", "channel_unit_')
    with pytest.raises(ValueError, match='units.json cannot be parsed'):
        _mutator(str(path))


def test_units_json_of_the_wrong_shape(tmp_path):
    path = tmp_path / 'units.json'
    path.write_text(json.dumps([{'name': 'conv', 'choice': 4}]))
    with pytest.raises(TypeError, match='units.json holds a list'):
        _mutator(str(path))


def test_units_written_for_another_model(tmp_path):
    source = MODELS.build(
        dict(
            type='mmrazor.ChannelMutator',
            channel_unit_cfg=dict(type='SequentialMutableChannelUnit'),
            parse_cfg=dict(
                type='ChannelAnalyzer',
                demo_input=dict(
                    type='DefaultDemoInput', input_shape=(1, 3, 8, 8)),
                tracer_type='FxTracer')))
    source.prepare_from_supernet(_conv_net())
    path = tmp_path / 'units.json'
    source.dump_units_json(str(path), with_channels=True)

    class Other(nn.Module):

        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3)
            self.head = nn.Conv2d(8, 4, 1)

        def forward(self, x):
            return self.head(self.stem(x))

    mutator = _mutator(str(path))
    with pytest.raises(KeyError) as info:
        mutator.prepare_from_supernet(Other())
    assert 'not found in Other' in str(info.value)
    assert 'written for another model' in str(info.value)


def test_units_choice_above_the_channels(tmp_path):
    from mmrazor.models.mutators import ChannelMutator
    mutator = ChannelMutator(
        channel_unit_cfg=dict(type='SequentialMutableChannelUnit'),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(type='DefaultDemoInput', input_shape=(1, 3, 8, 8)),
            tracer_type='FxTracer'))
    mutator.prepare_from_supernet(_conv_net())
    name = list(mutator.current_choices)[0]
    with pytest.raises(ValueError) as info:
        mutator.set_choices({name: 64})
    assert name in str(info.value)
    assert 'choice 64 exceeds its 8 channels' in str(info.value)


def test_units_unknown_unit_name():
    from mmrazor.models.mutators import ChannelMutator
    mutator = ChannelMutator(
        channel_unit_cfg=dict(type='SequentialMutableChannelUnit'),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(type='DefaultDemoInput', input_shape=(1, 3, 8, 8)),
            tracer_type='FxTracer'))
    mutator.prepare_from_supernet(_conv_net())
    with pytest.raises(KeyError, match="unknown unit 'backbone.conv1"):
        mutator.set_choices({'backbone.conv1_(0, 64)_64': 32})


# --- tracing ---------------------------------------------------------------


class Branchy(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        x = self.conv(x)
        if x.sum() > 0:
            return x
        return -x


def test_untraceable_model_names_the_line_and_the_way_out():
    from mmrazor.models.task_modules import ChannelAnalyzer
    from mmrazor.models.task_modules.tracer.fx import UntraceableModelError
    analyzer = ChannelAnalyzer(
        demo_input=dict(type='DefaultDemoInput', input_shape=(1, 3, 8, 8)),
        tracer_type='FxTracer')
    with pytest.raises(UntraceableModelError) as info:
        analyzer.analyze(Branchy())
    msg = str(info.value)
    assert 'if x.sum() > 0' in msg and 'BackwardTracer' in msg


# --- config building, per family ---------------------------------------


def test_kd_unknown_loss_argument():
    with pytest.raises(TypeError, match="KLDivergence.*'tua'"):
        MODELS.build(dict(type='mmrazor.KLDivergence', tua=1.))


def test_kd_unknown_loss_type():
    from mmrazor.registry import UnknownTypeError
    with pytest.raises(UnknownTypeError) as info:
        MODELS.build(dict(type='mmrazor.KLDivergense'))
    assert 'KLDivergence' in str(info.value)


def test_quantization_unknown_quantizer_backend():
    from mmrazor.registry import UnknownTypeError
    with pytest.raises(UnknownTypeError) as info:
        MODELS.build(dict(type='mmrazor.TensorRTQuantizr'))
    assert 'TensorRTQuantizer' in str(info.value)


def test_quantization_bit_out_of_range():
    with pytest.raises(ValueError, match=r'w_qscheme.bit .* \[1, 16\], got 0'):
        MODELS.build(
            dict(
                type='mmrazor.OpenVINOQuantizer',
                global_qconfig=dict(
                    w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
                    a_observer=dict(
                        type='mmrazor.MovingAverageMinMaxObserver'),
                    w_fake_quant=dict(type='mmrazor.FakeQuantize'),
                    a_fake_quant=dict(type='mmrazor.FakeQuantize'),
                    w_qscheme=dict(qdtype='qint8', bit=0, is_symmetry=True),
                    a_qscheme=dict(qdtype='quint8', bit=8))))


def test_pruning_ratio_outside_0_1():
    from mmrazor.models.algorithms.pruning import ItePruneAlgorithm
    arch = dict(
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
            loss=dict(type='CrossEntropyLoss')))
    mutator = dict(
        type='ChannelMutator',
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            default_args=dict(choice_mode='ratio')),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 1, 8, 8),
                scope='mmcls')))
    unit = 'backbone.conv1_(0, 8)_8'
    with pytest.raises(ValueError) as info:
        ItePruneAlgorithm(
            arch, mutator_cfg=mutator, target_pruning_ratio={unit: 1.5})
    assert unit in str(info.value) and '(0, 1]' in str(info.value)


def test_search_loop_resume_from_a_foreign_file(tmp_path):
    from mmrazor.engine.runner.utils.search_state import load_search_state
    path = tmp_path / 'state.json'
    path.write_text(json.dumps({'epoch': 3}))
    with pytest.raises(ValueError, match='state.json is not a search state'):
        load_search_state(str(path), 'EvolutionSearchLoop')


def test_loss_guard_hook_bad_action():
    from mmrazor.engine.hooks import NonFiniteLossHook
    with pytest.raises(ValueError, match="action must be one of.*'skpi'"):
        NonFiniteLossHook(action='skpi')


# --- checkpoints ---------------------------------------------------------


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / 'model.pth'
    torch.save({'state_dict': {'w': torch.zeros(64, 64)}}, path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(InvalidCheckpointError) as info:
        safe_torch_load(str(path))
    assert str(path) in str(info.value) and '500 bytes' in str(info.value)
