# Copyright (c) OpenMMLab. All rights reserved.
"""Pin the torch.ao behaviour MMRazor relies on (all through the adapter
module ``mmrazor.structures.quantization.torch_ao``)."""
import warnings

import pytest
import torch
import torch.nn as nn
from torch.fx import symbolic_trace

from mmrazor.structures.quantization import torch_ao
from mmrazor.structures.quantization.backend_config import (
    BackendConfigs, get_native_backend_config, get_tensorrt_backend_config)


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = self.relu(self.bn(self.conv(x)))
        x = x.mean((2, 3))
        return self.fc(x)


def _qconfig():
    fq = torch_ao.FakeQuantize
    return torch_ao.QConfig(
        activation=fq.with_args(
            observer=torch_ao.MovingAverageMinMaxObserver,
            quant_min=0,
            quant_max=255,
            dtype=torch.quint8),
        weight=fq.with_args(
            observer=torch_ao.PerChannelMinMaxObserver,
            quant_min=-128,
            quant_max=127,
            dtype=torch.qint8,
            qscheme=torch.per_channel_symmetric,
            ch_axis=0))


def test_fuse_and_prepare_public_path():
    model = Net().train()
    tracer = torch_ao.QuantizationTracer([], [])
    graph = tracer.trace(model)
    gm = torch.fx.GraphModule(model, graph)
    backend = get_native_backend_config()
    fused = torch_ao.fuse_fx(gm, is_qat=True, backend_config=backend)
    assert isinstance(fused.conv, torch_ao.nni.ConvBnReLU2d)
    mapping = torch_ao.QConfigMapping().set_global(_qconfig())
    with warnings.catch_warnings():
        warnings.simplefilter('error', DeprecationWarning)
        prepared = torch_ao.prepare_fx(
            fused,
            mapping,
            tracer.node_name_to_scope,
            example_inputs=(torch.randn(1, 3, 8, 8), ),
            backend_config=backend)
    assert isinstance(prepared.conv, torch_ao.nniqat.ConvBnReLU2d)
    assert isinstance(prepared.fc, torch_ao.nnqat.Linear)
    assert isinstance(prepared.conv.weight_fake_quant, torch_ao.FakeQuantize)
    n_fq = sum(
        isinstance(m, torch_ao.FakeQuantize) for m in prepared.modules())
    # input, conv out, mean out (shared?), fc out + 2 weight fake-quants
    assert n_fq >= 5
    out = prepared(torch.randn(2, 3, 8, 8))
    assert out.shape == (2, 2)


def test_fuse_fx_rejects_plain_modules():
    with pytest.raises(TypeError, match='GraphModule'):
        torch_ao.fuse_fx(Net())


def test_quiet_ao_silences_deprecations():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter('always')
        with torch_ao.quiet_ao():
            warnings.warn(
                'torch.ao.quantization is deprecated and will be '
                'removed', DeprecationWarning)
            torch_ao.MinMaxObserver(reduce_range=True)
    assert not rec


def test_swap_ff_with_fxff():
    model = nn.Sequential(nn.Sequential(torch_ao.FloatFunctional()))
    torch_ao.swap_ff_with_fxff(model)
    assert isinstance(model[0][0], torch_ao.FXFloatFunctional)


def test_class_discovery():
    observers = torch_ao.torch_observer_classes()
    for name in ('MinMaxObserver', 'PerChannelMinMaxObserver',
                 'HistogramObserver', 'MovingAverageMinMaxObserver',
                 'PlaceholderObserver', 'ObserverBase'):
        assert name in observers
    assert not any(n.startswith(('_', 'default')) for n in observers)
    assert set(torch_ao.torch_fake_quant_classes()) >= {
        'FakeQuantize', 'FakeQuantizeBase', 'FixedQParamsFakeQuantize',
        'FusedMovingAvgObsFakeQuantize'
    }


def test_fake_quantize_state_dict_resizes_per_channel():
    """We rely on FakeQuantize loading per-channel qparams into [1]-shaped
    buffers (torch resizes them in _load_from_state_dict)."""
    src = _qconfig().weight()
    src(torch.randn(6, 3, 3, 3))
    dst = _qconfig().weight()
    assert dst.scale.shape == (1, )
    dst.load_state_dict(src.state_dict())
    assert dst.scale.shape == (6, )
    assert torch.equal(dst.scale, src.scale)


def test_backend_configs():
    assert set(BackendConfigs.keys()) == {
        'academic', 'native', 'tensorrt', 'openvino'
    }
    trt = BackendConfigs['tensorrt']
    assert trt is BackendConfigs['tensorrt']  # built once
    assert trt.name == 'tensorrt'
    dtypes = {(dc.input_dtype, dc.weight_dtype)
              for pc in get_tensorrt_backend_config().configs
              if pc.pattern is nn.Conv2d for dc in pc.dtype_configs}
    assert (torch.qint8, torch.qint8) in dtypes
    assert (torch.quint8, torch.qint8) in dtypes
    with pytest.raises(KeyError, match='unknown quantization backend'):
        BackendConfigs['foo']


def test_fx_symbolic_trace_available():
    assert isinstance(symbolic_trace(Net()), torch.fx.GraphModule)


def test_get_backend_config_restricts_dtypes():
    from mmrazor.structures.quantization.backend_config import \
        get_backend_config
    cfg = get_backend_config('openvino', torch.quint8, torch.qint8)
    assert cfg is get_backend_config('openvino', torch.quint8, torch.qint8)
    pairs = {(dc.input_dtype, dc.weight_dtype)
             for pc in cfg.configs if pc.pattern is nn.Conv2d
             for dc in pc.dtype_configs}
    assert pairs == {(torch.quint8, torch.qint8)}
    with pytest.raises(KeyError, match='unknown quantization backend'):
        get_backend_config('foo', torch.quint8, torch.qint8)
