# Copyright (c) OpenMMLab. All rights reserved.
import kd_toy_module as toy_module
import pytest
import torch
from mmengine.config import ConfigDict
from torch import nn

from mmrazor.models.task_modules import (
    FunctionInputsRecorder, FunctionOutputsRecorder, MethodInputsRecorder,
    MethodOutputsRecorder, ModuleInputsRecorder, ModuleOutputsRecorder,
    ParameterRecorder, RecorderManager)
from mmrazor.registry import TASK_UTILS


class ToyModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 1, 1)
        self.conv2 = nn.Conv2d(1, 1, 1)
        self.toy = toy_module.Toy()

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv1(x + 1)
        return self.conv2(x1 + x2)


def test_function_outputs_recorder_seed_example():
    r1 = FunctionOutputsRecorder('kd_toy_module.toy_func')
    r1.initialize()
    with r1:
        out1 = toy_module.toy_func()
        out2 = toy_module.toy_func()
        out3 = toy_module.toy_func()
    assert r1.data_buffer == [out1, out2, out3]
    assert r1.get_record_data(record_idx=2) == out3
    # the function is restored
    assert toy_module.toy_func.__module__ == 'kd_toy_module'
    assert not hasattr(toy_module.toy_func, '__wrapped__')
    # outside the context nothing is recorded; entering resets
    toy_module.toy_func()
    assert len(r1.data_buffer) == 3
    with r1:
        assert r1.data_buffer == []


def test_function_recorder_patch_where_used():
    # `use_toy_func` looks up `toy_func` in kd_toy_module: patching the
    # module where it is used records the call.
    r = FunctionOutputsRecorder('kd_toy_module.toy_func')
    with r:
        out = toy_module.use_toy_func()
    assert r.data_buffer == [out]


def test_function_inputs_recorder():
    r = FunctionInputsRecorder('kd_toy_module.toy_add')
    with r:
        toy_module.toy_add(1)
        toy_module.toy_add(1, b=5)
    assert r.data_buffer == [(1, 2), (1, 5)]
    assert r.get_record_data(1, data_idx=1) == 5


def test_method_recorders_seed_example():
    toy = toy_module.Toy()
    r1 = MethodOutputsRecorder('kd_toy_module.Toy.toy_func')
    r1.initialize()
    with r1:
        outs = [toy.toy_func() for _ in range(3)]
    assert r1.data_buffer == outs
    assert r1.get_record_data(record_idx=2) == outs[2]
    assert 'toy_func' in toy_module.Toy.__dict__
    assert not hasattr(toy_module.Toy.toy_func, '__wrapped__')

    r2 = MethodInputsRecorder('kd_toy_module.Toy.toy_add')
    with r2:
        assert toy.toy_add(4) == 7
    assert r2.data_buffer == [(4, 3)]
    assert r2.get_record_data(data_idx=0) == 4

    # staticmethod keeps working and is restored as a staticmethod
    r3 = MethodInputsRecorder('kd_toy_module.Toy.toy_static')
    with r3:
        assert toy.toy_static(3) == 6
        assert toy_module.Toy.toy_static(4) == 8
    assert r3.data_buffer == [(3, ), (4, )]
    assert isinstance(toy_module.Toy.__dict__['toy_static'], staticmethod)


def test_method_recorder_inherited_method_restored():
    r = MethodOutputsRecorder('kd_toy_module.SubToy.toy_add')
    with r:
        assert toy_module.SubToy().toy_add(1, 1) == 2
    assert r.data_buffer == [2]
    assert 'toy_add' not in toy_module.SubToy.__dict__


def test_patches_restored_on_exception():
    origin_func = toy_module.toy_func
    origin_method = toy_module.Toy.__dict__['toy_func']
    manager = RecorderManager(
        dict(
            f=dict(type='FunctionOutputs', source='kd_toy_module.toy_func'),
            m=dict(type='MethodOutputs', source='kd_toy_module.Toy.toy_func')))
    manager.initialize()
    with pytest.raises(ValueError, match='boom'):
        with manager:
            toy_module.toy_func()
            toy_module.toy_raise()
    assert toy_module.toy_func is origin_func
    assert toy_module.Toy.__dict__['toy_func'] is origin_method
    assert len(manager.get_recorder('f').data_buffer) == 1
    assert not manager.get_recorder('f').recording


def test_module_outputs_inputs_recorder():
    model = ToyModel()
    r1 = ModuleOutputsRecorder('conv1')
    r1.initialize(model)
    r2 = ModuleInputsRecorder('conv2')
    r2.initialize(model)
    x = torch.randn(1, 1, 1, 1)
    with r1, r2:
        out = model(x)
    assert len(r1.data_buffer) == 2
    assert torch.equal(r1.data_buffer[0], model.conv1(x))
    assert torch.equal(r1.data_buffer[1], model.conv1(x + 1))
    assert torch.equal(model.conv2(r2.get_record_data(data_idx=0)), out)
    # the hook is inactive outside the context
    model(x)
    assert len(r1.data_buffer) == 2
    with pytest.raises(AttributeError, match='conv3'):
        ModuleOutputsRecorder('conv3').initialize(model)


def test_parameter_recorder():
    model = ToyModel()
    r1 = ParameterRecorder('conv1.weight')
    r1.initialize(model)
    assert torch.equal(r1.data_buffer[0], model.conv1.weight)
    with r1:
        assert r1.get_record_data() is model.conv1.weight
    with pytest.raises(AttributeError, match='conv1.weight'):
        ParameterRecorder('conv1.weigth').initialize(model)


def test_recorder_manager_seed_example():
    conv1_rec = ConfigDict(type='ModuleOutputs', source='conv1')
    conv2_rec = ConfigDict(type='ModuleOutputs', source='conv2')
    func_rec = ConfigDict(
        type='MethodOutputs', source='kd_toy_module.Toy.toy_func')
    manager = RecorderManager({
        'conv1_rec': conv1_rec,
        'conv2_rec': conv2_rec,
        'func_rec': func_rec
    })

    class Model(ToyModel):

        def forward(self, x):
            return self.conv2(self.conv1(x)) + self.toy.toy_func()

    model = Model()
    manager.initialize(model)
    x = torch.rand(1, 1, 1, 1)
    with manager:
        out = model(x)
    conv2_out = manager.get_recorder('conv2_rec').get_record_data()
    func_out = manager.get_recorder('func_rec').get_record_data()
    assert isinstance(func_out, int)
    assert torch.allclose(conv2_out + func_out, out)
    with pytest.raises(KeyError, match='conv2_rec'):
        manager.get_recorder('conv2_re')


def test_record_data_errors():
    r = FunctionOutputsRecorder('kd_toy_module.toy_func')
    with r:
        pass
    with pytest.raises(RuntimeError, match='recorded nothing'):
        r.get_record_data()
    with r:
        toy_module.toy_func()
    with pytest.raises(IndexError, match='record_idx=1'):
        r.get_record_data(1)
    with pytest.raises(TypeError, match='data_idx'):
        r.get_record_data(0, data_idx=0)
    with pytest.raises(ValueError, match='pkg.module.Class.method'):
        MethodOutputsRecorder('toy_func').initialize()


def test_registry_names():
    for name in [
            'ModuleOutputsRecorder', 'ModuleInputsRecorder',
            'MethodOutputsRecorder', 'MethodInputsRecorder',
            'FunctionOutputsRecorder', 'FunctionInputsRecorder',
            'ParameterRecorder'
    ]:
        assert TASK_UTILS.get(name) is not None
