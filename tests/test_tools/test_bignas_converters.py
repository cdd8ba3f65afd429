# Copyright (c) OpenMMLab. All rights reserved.
"""The BigNAS / AttentiveNAS / OFA checkpoint converters map synthetic
checkpoints with the official key layouts onto the MMRazor supernets with
no missing and no unexpected key."""
import copy
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.models.mutables import BaseMutable
from mmrazor.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BN = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def load_tool(name):
    path = osp.join(REPO, 'tools/model_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'bignas_tool_{name}',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _weight_keys(model):
    """State-dict keys without the search state (mutable masks)."""
    skip = [
        name + '.' for name, m in model.named_modules()
        if isinstance(m, BaseMutable)
    ]
    return {
        k
        for k in model.state_dict()
        if not any(k.startswith(s) for s in skip)
    }


def _build(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    torch.manual_seed(0)
    return MODELS.build(copy.deepcopy(cfg.model))


@pytest.fixture(scope='module')
def bignas():
    return _build('configs/nas/mmcls/bignas/'
                  'attentive_mobilenet_supernet_32xb64_in1k.py')


def _attentivenas_official_keys():
    """Official AttentiveNAS supernet layout (DDP ``module.`` prefix)."""
    depths = (2, 5, 6, 6, 8, 8, 2)
    with_se = (False, False, True, False, True, True, True)
    keys = ['first_conv.conv.conv.weight']
    keys += [f'first_conv.bn.bn.{b}' for b in BN]
    n = 0
    for stage, depth in enumerate(depths):
        for k in range(depth):
            p = f'blocks.{n}.mobile_inverted_conv.'
            if stage > 0:  # expand ratio 1 in the first stage
                keys.append(p + 'inverted_bottleneck.conv.conv.weight')
                keys += [p + f'inverted_bottleneck.bn.bn.{b}' for b in BN]
            keys.append(p + 'depth_conv.conv.conv.weight')
            keys += [p + f'depth_conv.bn.bn.{b}' for b in BN]
            if with_se[stage]:
                keys += [
                    p + f'depth_conv.se.fc.{n_}.{w}'
                    for n_ in ('reduce', 'expand') for w in ('weight', 'bias')
                ]
            keys.append(p + 'point_linear.conv.conv.weight')
            keys += [p + f'point_linear.bn.bn.{b}' for b in BN]
            if k == 0:
                keys.append(f'blocks.{n}.shortcut.conv.conv.weight')
            n += 1
    keys.append('last_conv.final_expand_layer.conv.conv.weight')
    keys += [f'last_conv.final_expand_layer.bn.bn.{b}' for b in BN]
    keys.append('last_conv.feature_mix_layer.conv.conv.weight')
    keys += [f'classifier.linear.linear.{w}' for w in ('weight', 'bias')]
    return ['module.' + k for k in keys]


def _checkpoint(tmp_path, keys, name):
    path = tmp_path / name
    torch.save(dict(state_dict={k: torch.zeros(1) for k in keys}), path)
    return str(path)


def test_attentivenas_converter(bignas, tmp_path):
    tool = load_tool('convert_attentivenas_nas_ckpt')
    out = tool.main([_checkpoint(tmp_path, _attentivenas_official_keys(),
                                 'attentive.pth')])
    converted = torch.load(out, weights_only=True)['state_dict']
    ours = {'architecture.' + k for k in _weight_keys(bignas.architecture)}
    assert set(converted) == ours
    with pytest.raises(tool.ToolError, match='unknown AttentiveNAS'):
        tool.convert({'module.blocks.0.foo.weight': torch.zeros(1)})


def test_bignas_gml_converter(bignas, tmp_path):
    tool = load_tool('convert_bignas_gml_ckpt')
    ours = sorted(_weight_keys(bignas.architecture))
    official = []
    for k in ours:
        for i in range(1, 8):
            k = k.replace(f'backbone.layer{i}.', f'backbone.blocks.{i - 1}.')
        official.append('model.' + k)
    out = tool.main([_checkpoint(tmp_path, official, 'gml.pth')])
    assert out.endswith('gml_latest.pth')
    converted = torch.load(out, weights_only=True)['state_dict']
    assert set(converted) == {'architecture.' + k for k in ours}
    with pytest.raises(tool.ToolError, match='not a GML'):
        tool.convert({'backbone.x': torch.zeros(1)})


def _ofa_official_keys(depth=(1, 4, 4, 4, 4, 4)):
    with_se = (False, False, True, False, True, True)
    keys = ['first_conv.conv.weight'] + [f'first_conv.bn.{b}' for b in BN]
    n = 0
    for stage, d in enumerate(depth):
        for _ in range(d):
            p = f'blocks.{n}.mobile_inverted_conv.'
            if n == 0:  # the static first block
                keys.append(p + 'depth_conv.conv.weight')
                keys += [p + f'depth_conv.bn.{b}' for b in BN]
                keys.append(p + 'point_linear.conv.weight')
                keys += [p + f'point_linear.bn.{b}' for b in BN]
            else:
                keys.append(p + 'inverted_bottleneck.conv.conv.weight')
                keys += [p + f'inverted_bottleneck.bn.bn.{b}' for b in BN]
                keys += [
                    p + 'depth_conv.conv.conv.weight',
                    p + 'depth_conv.conv.7to5_matrix',
                    p + 'depth_conv.conv.5to3_matrix'
                ]
                keys += [p + f'depth_conv.bn.bn.{b}' for b in BN]
                if with_se[stage]:
                    keys += [
                        p + f'depth_conv.se.fc.{n_}.{w}'
                        for n_ in ('reduce', 'expand')
                        for w in ('weight', 'bias')
                    ]
                keys.append(p + 'point_linear.conv.conv.weight')
                keys += [p + f'point_linear.bn.bn.{b}' for b in BN]
            n += 1
    keys.append('final_expand_layer.conv.weight')
    keys += [f'final_expand_layer.bn.{b}' for b in BN]
    keys.append('feature_mix_layer.conv.weight')
    keys += ['classifier.linear.weight', 'classifier.linear.bias']
    return keys


def test_ofa_converter(tmp_path):
    tool = load_tool('convert_ofa_ckpt')
    model = _build('configs/nas/mmcls/onceforall/'
                   'ofa_mobilenet_supernet_32xb64_in1k.py')
    out = tool.main([
        _checkpoint(tmp_path, _ofa_official_keys(), 'ofa.pth'), '--depth',
        '1', '4', '4', '4', '4', '4'
    ])
    converted = torch.load(out, weights_only=True)['state_dict']
    ours = {'architecture.' + k for k in _weight_keys(model.architecture)}
    assert set(converted) == ours
    assert 'architecture.backbone.layer2.0.depthwise_conv.conv.' \
        'trans_matrix_7to5' in converted
    with pytest.raises(tool.ToolError, match='beyond the 5 blocks'):
        tool.convert({'blocks.5.mobile_inverted_conv.x': 0}, depth=[1, 4])
