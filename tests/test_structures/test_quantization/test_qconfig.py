# Copyright (c) OpenMMLab. All rights reserved.
import copy

import pytest
import torch

import mmrazor.models  # noqa: F401  (registers observers / fake-quants)
from mmrazor.structures.quantization import QConfigHandler, QSchemeHandler
from mmrazor.structures.quantization.torch_ao import (FakeQuantize,
                                                      PerChannelMinMaxObserver)

GLOBAL = dict(
    w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
    a_observer=dict(type='mmrazor.MovingAverageMinMaxObserver'),
    w_fake_quant=dict(type='mmrazor.FakeQuantize'),
    a_fake_quant=dict(type='mmrazor.FakeQuantize'),
    w_qscheme=dict(
        qdtype='qint8', bit=8, is_symmetry=True, is_symmetric_range=True),
    a_qscheme=dict(
        qdtype='quint8', bit=8, is_symmetry=True, averaging_constant=0.1),
)


@pytest.mark.parametrize('qdtype,bit,sym_range,expected', [
    ('quint8', 8, False, (0, 255)),
    ('qint8', 8, False, (-128, 127)),
    ('qint8', 8, True, (-127, 127)),
    ('quint8', 4, False, (0, 15)),
    ('qint8', 4, True, (-7, 7)),
    ('qint8', 16, False, (-32768, 32767)),
    ('quint8', 1, False, (0, 1)),
])
def test_qscheme_ranges(qdtype, bit, sym_range, expected):
    qs = QSchemeHandler(qdtype=qdtype, bit=bit, is_symmetric_range=sym_range)
    params = qs.to_observer_params()
    assert (params['quant_min'], params['quant_max']) == expected
    assert params['reduce_range'] is False
    assert params['dtype'] == (
        torch.qint32 if bit > 8 else getattr(torch, qdtype))


def test_qscheme_per_channel_and_kwargs():
    qs = QSchemeHandler(
        qdtype='qint8',
        is_symmetry=False,
        is_per_channel=True,
        averaging_constant=0.1)
    params = qs.to_observer_params()
    assert params['qscheme'] == torch.per_channel_affine
    assert params['ch_axis'] == 0
    assert params['averaging_constant'] == 0.1


@pytest.mark.parametrize('kwargs,match', [
    (dict(qdtype='int8'), 'qdtype'),
    (dict(bit=0), 'bit'),
    (dict(bit=17), 'bit'),
    (dict(bit=8.0), 'bit'),
    (dict(is_symmetry='yes'), 'is_symmetry'),
    (dict(qdtype='quint8', is_symmetric_range=True), 'is_symmetric_range'),
])
def test_qscheme_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QSchemeHandler(**kwargs)


def test_convert():
    handler = QConfigHandler(GLOBAL)
    assert handler.w_qscheme.is_per_channel
    assert not handler.a_qscheme.is_per_channel
    qconfig = handler.convert()
    w = qconfig.weight()
    a = qconfig.activation()
    assert isinstance(w, FakeQuantize)
    assert isinstance(w.activation_post_process, PerChannelMinMaxObserver)
    assert (w.quant_min, w.quant_max) == (-127, 127)
    assert w.qscheme == torch.per_channel_symmetric
    assert a.activation_post_process.averaging_constant == 0.1
    assert (a.quant_min, a.quant_max) == (0, 255)


def _bad(**changes):
    cfg = copy.deepcopy(GLOBAL)
    for key, value in changes.items():
        if value is None:
            cfg.pop(key)
        else:
            cfg[key] = value
    return cfg


@pytest.mark.parametrize('changes,exc,match', [
    (dict(w_observer=None), KeyError, 'w_observer'),
    (dict(extra=dict()), KeyError, 'extra'),
    (dict(a_observer=dict(type='mmrazor.NoSuchObserver')), KeyError,
     'a_observer'),
    (dict(w_fake_quant=dict(type='mmrazor.MinMaxObserver')), ValueError,
     'w_fake_quant'),
    (dict(a_observer=dict(type='mmrazor.PerChannelMinMaxObserver')),
     ValueError, 'a_observer'),
    (dict(
        a_qscheme=dict(
            qdtype='quint8', averaging_constant=0.1, is_per_channel=True)),
     ValueError, 'a_qscheme'),
    (dict(w_qscheme=dict(qdtype='qint8', averaging_constant=0.1)), ValueError,
     r'w_qscheme\.averaging_constant'),
    (dict(w_qscheme=dict(qdtype='qint9')), ValueError, r'w_qscheme\.qdtype'),
    (dict(a_qscheme=dict(bit=20)), ValueError, r'a_qscheme\.bit'),
    (dict(w_observer='PerChannelMinMaxObserver'), ValueError, 'w_observer'),
])
def test_qconfig_errors_name_the_key(changes, exc, match):
    with pytest.raises(exc, match=match):
        QConfigHandler(_bad(**changes))


def test_replace_fakequant_copies_qparams():
    handler = QConfigHandler(
        _bad(
            w_observer=dict(type='mmrazor.LSQPerChannelObserver'),
            w_fake_quant=dict(type='mmrazor.LearnableFakeQuantize')))
    lsq = handler.convert().weight()
    x = torch.randn(5, 3, 3, 3)
    lsq(x)
    new = QConfigHandler.replace_fakequant(lsq, handler.w_qscheme)
    assert isinstance(new, FakeQuantize)
    assert torch.allclose(new.scale, lsq.scale.detach())
    assert not bool(new.observer_enabled[0])
    lsq.disable_observer()
    assert torch.allclose(new(x), lsq(x).detach(), atol=1e-6)


def test_fixed_w_fakequant():
    handler = QConfigHandler(
        _bad(
            w_observer=dict(type='mmrazor.LSQPerChannelObserver'),
            w_fake_quant=dict(type='mmrazor.LearnableFakeQuantize')))
    handler.fixed_w_fakequant()
    w = handler.convert().weight()
    assert type(w) is FakeQuantize
    assert isinstance(w.activation_post_process, PerChannelMinMaxObserver)
