# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch

from mmrazor.models.observers import (LSQObserver, LSQPerChannelObserver,
                                      register_torch_observers,
                                      reset_min_max_vals)
from mmrazor.registry import MODELS
from mmrazor.structures.quantization import torch_ao

TORCH_NAMES = [
    'FixedQParamsObserver', 'HistogramObserver', 'MinMaxObserver',
    'MovingAverageMinMaxObserver', 'MovingAveragePerChannelMinMaxObserver',
    'NoopObserver', 'ObserverBase', 'PerChannelMinMaxObserver',
    'PlaceholderObserver', 'RecordingObserver', 'ReuseInputObserver',
    'UniformQuantizationObserverBase'
]


@pytest.mark.parametrize('name', TORCH_NAMES)
def test_torch_observers_registered(name):
    assert name in register_torch_observers()
    cls = MODELS.get(f'mmrazor.{name}')
    assert cls is getattr(torch_ao.observer_module, name)


def test_build_from_config():
    obs = MODELS.build(
        dict(
            type='mmrazor.MovingAverageMinMaxObserver',
            averaging_constant=0.5))
    obs(torch.tensor([0., 2.]))
    obs(torch.tensor([0., 4.]))
    assert obs.max_val.item() == pytest.approx(3.0)


def test_lsq_observer_scale():
    obs = LSQObserver(
        dtype=torch.quint8,
        quant_min=0,
        quant_max=255,
        qscheme=torch.per_tensor_affine)
    x = torch.tensor([-1., 0.5, 2., 3.])
    obs(x)
    scale, zero_point = obs.calculate_qparams()
    expected = 2 * x.abs().mean() / math.sqrt(255)
    assert scale.shape == (1, )
    assert scale.item() == pytest.approx(expected.item(), rel=1e-6)
    # zero point comes from the min-max statistics
    _, zp_minmax = torch_ao.MinMaxObserver.calculate_qparams(obs)
    assert zero_point.item() == zp_minmax.item()
    assert obs.min_val.item() == -1 and obs.max_val.item() == 3


def test_lsq_per_channel_observer():
    obs = LSQPerChannelObserver(
        dtype=torch.qint8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0)
    x = torch.randn(4, 3, 2, 2)
    obs(x)
    scale, zero_point = obs.calculate_qparams()
    expected = 2 * x.abs().flatten(1).mean(1) / math.sqrt(127)
    assert torch.allclose(scale, expected)
    assert zero_point.shape == (4, ) and torch.all(zero_point == 0)
    # state dict round trip into a fresh observer resizes the buffers
    fresh = LSQPerChannelObserver(
        dtype=torch.qint8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0)
    fresh.load_state_dict(obs.state_dict())
    assert torch.allclose(fresh.calculate_qparams()[0], scale)


def test_reset_keeps_shapes():
    obs = torch_ao.PerChannelMinMaxObserver(ch_axis=0)
    obs(torch.randn(5, 2))
    reset_min_max_vals(obs)
    assert obs.min_val.shape == (5, )
    assert torch.isinf(obs.min_val).all() and torch.isinf(obs.max_val).all()
    obs(torch.ones(5, 2))
    assert torch.all(obs.min_val == 1)
