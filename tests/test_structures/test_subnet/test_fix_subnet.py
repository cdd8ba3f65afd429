# Copyright (c) OpenMMLab. All rights reserved.
import copy
import json

import pytest
import torch
import torch.nn as nn
import yaml

from mmrazor.models.mutables import OneShotMutableOP, OneShotMutableValue
from mmrazor.structures.subnet import (convert_fix_subnet, dump_fix_subnet,
                                       export_fix_subnet, load_fix_subnet)
from mmrazor.utils.typing import DumpChosen


def _op(alias=None):
    return OneShotMutableOP(
        nn.ModuleDict({
            'conv': nn.Conv2d(2, 2, 3, padding=1),
            'id': nn.Identity()
        }),
        alias=alias)


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.op1 = _op()
        self.backbone.op2 = _op(alias='op_alias')
        self.kernel = OneShotMutableValue([3, 5])
        self.derived = self.kernel * 2

    def forward(self, x):
        return self.backbone.op2(self.backbone.op1(x))


def test_export_mutable_mode_and_convert():
    net = Net()
    net.backbone.op1.current_choice = 'conv'
    net.backbone.op2.current_choice = 'id'
    net.kernel.current_choice = 3
    fix_subnet, static = export_fix_subnet(net)
    assert static is None
    assert set(fix_subnet) == {'backbone.op1', 'op_alias', 'kernel'}
    assert fix_subnet['backbone.op1'] == DumpChosen(
        'conv', dict(all_choices=['conv', 'id']))
    converted = convert_fix_subnet(fix_subnet)
    assert converted == {
        'backbone.op1': {
            'chosen': 'conv'
        },
        'op_alias': {
            'chosen': 'id'
        },
        'kernel': {
            'chosen': 3
        }
    }
    # keys are relative to the object passed
    sub_fix, _ = export_fix_subnet(net.backbone)
    assert set(sub_fix) == {'op1', 'op_alias'}


def test_export_slice_weight_returns_static_copy():
    net = Net()
    net.backbone.op1.current_choice = 'conv'
    net.backbone.op2.current_choice = 'id'
    x = torch.randn(1, 2, 4, 4)
    expected = net(x)
    _, static = export_fix_subnet(net, slice_weight=True)
    assert static is not net and not net.backbone.op1.is_fixed
    assert static.backbone.op1.is_fixed
    assert static.backbone.op1.choices == ['conv']
    assert torch.allclose(static(x), expected)
    assert set(static.state_dict()) == {
        'backbone.op1._candidates.conv.weight',
        'backbone.op1._candidates.conv.bias'
    }


@pytest.mark.parametrize('fmt', ['yaml', 'json', 'dict'])
def test_load_formats(tmp_path, fmt):
    subnet = {
        'backbone.op1': {
            'chosen': 'id'
        },
        'op_alias': {
            'chosen': 'conv'
        },
        'kernel': {
            'chosen': 5
        }
    }
    if fmt == 'dict':
        source = subnet
    else:
        source = str(tmp_path / f'subnet.{fmt}')
        with open(source, 'w') as f:
            (yaml.safe_dump if fmt == 'yaml' else json.dump)(subnet, f)
    net = Net()
    load_fix_subnet(net, source)
    assert net.backbone.op1.is_fixed and net.backbone.op1.choices == ['id']
    assert net.backbone.op2.choices == ['conv']
    assert net.kernel.current_choice == 5 and net.kernel.is_fixed
    assert net.derived.current_choice == 10 and net.derived.is_fixed


def test_load_prefix_is_a_prefix_not_a_char_set():
    # with str.lstrip('backbone.') 'kernel' would lose its 'k'... and
    # 'backbone.op1' would become 'op1'; a real prefix only strips the head
    subnet = {'op1': 'id', 'op_alias': 'id', 'kernel': 3}
    net = Net()
    load_fix_subnet(net, subnet, prefix='backbone.')
    assert net.backbone.op1.choices == ['id']
    assert net.kernel.current_choice == 3

    net = Net()
    load_fix_subnet(
        net.backbone, {
            'arch.op1': 'conv',
            'op_alias': 'id'
        },
        extra_prefix='arch.')
    assert net.backbone.op1.choices == ['conv']


def test_load_errors(tmp_path):
    good = {'backbone.op1': 'id', 'op_alias': 'id', 'kernel': 3}
    with pytest.raises(ValueError, match='same time'):
        load_fix_subnet(Net(), good, prefix='a', extra_prefix='b')
    missing = dict(good)
    missing.pop('kernel')
    with pytest.raises(KeyError, match=r"missing keys \['kernel'\]"):
        load_fix_subnet(Net(), missing)
    unknown = dict(good, extra=1)
    with pytest.raises(
            KeyError, match="unknown keys \\['extra'\\].*"
            "Expected keys"):
        load_fix_subnet(Net(), unknown)
    with pytest.raises(FileNotFoundError):
        load_fix_subnet(Net(), str(tmp_path / 'nope.yaml'))
    with pytest.raises(KeyError, match='without a `chosen`'):
        load_fix_subnet(Net(), dict(good, kernel={'value': 3}))
    with pytest.raises(ValueError, match='load_subnet_mode'):
        load_fix_subnet(Net(), good, load_subnet_mode='x')
    with pytest.raises(ValueError, match='channel_unit_cfg'):
        load_fix_subnet(Net(), good, load_subnet_mode='mutator')


def test_load_skips_fixed_and_dump_roundtrip(tmp_path):
    net = Net()
    net.backbone.op1.fix_chosen('conv')
    load_fix_subnet(net, {
        'backbone.op1': 'conv',
        'op_alias': 'id',
        'kernel': 3
    })
    net2 = Net()
    for m, c in ((net2.backbone.op1, 'id'), (net2.backbone.op2, 'conv')):
        m.current_choice = c
    fix, _ = export_fix_subnet(net2)
    path = tmp_path / 'out' / 'best.yaml'
    dump_fix_subnet(fix, path)
    loaded = yaml.safe_load(open(path))
    assert loaded['backbone.op1'] == {'chosen': 'id'}
    net3 = Net()
    load_fix_subnet(net3, str(path))
    assert net3.backbone.op2.choices == ['conv']
    assert copy.deepcopy(net3).backbone.op2.is_fixed


def test_sub_model_builder(tmp_path):
    # work around a foundation issue: the first `init_weights` in a process
    # where mmpretrain is not imported yet iterates the MODEL_WRAPPERS
    # children while the mmcls alias registry imports mmpretrain
    import mmpretrain.registry  # noqa: F401

    from mmrazor.registry import MODELS
    cfg = dict(
        type='mmrazor.OneShotMutableOP',
        candidates=dict(
            a=dict(
                type='torch.nn.Conv2d',
                in_channels=1,
                out_channels=1,
                kernel_size=1),
            b=dict(type='torch.nn.Identity')))
    model = MODELS.build(
        dict(type='mmrazor.sub_model', cfg=cfg, fix_subnet={'': 'b'}))
    assert model.is_fixed and model.choices == ['b']
