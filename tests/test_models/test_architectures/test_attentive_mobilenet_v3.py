# Copyright (c) OpenMMLab. All rights reserved.
"""AttentiveMobileNetV3: search space aliases (BigNAS, OFA fine-grained),
the published subnets reproduce the FLOPs/params of the README tables
(counted with mmengine's analysis), bad subnet files are rejected."""
import copy
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config

import mmrazor  # noqa: F401
from mmrazor.models.architectures.dynamic_ops import (BigNasConv2d,
                                                      DynamicSequential,
                                                      OFAConv2d)
from mmrazor.models.mutators import NasMutator
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import export_fix_subnet, load_fix_subnet

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BIGNAS = osp.join(REPO, 'configs/nas/mmcls/bignas')
OFA = osp.join(REPO, 'configs/nas/mmcls/onceforall')
DIGITS = osp.join(BIGNAS, 'digits',
                  'attentive_mobilenet-tiny_supernet_1xb32_digits.py')


def _supernet_cfg(path):
    cfg = Config.fromfile(path)
    return copy.deepcopy(cfg.supernet)


@pytest.fixture(scope='module')
def digits_supernet():
    torch.manual_seed(0)
    return MODELS.build(_supernet_cfg(DIGITS))


def test_bignas_aliases_and_dynamic_ops(digits_supernet):
    backbone = digits_supernet.backbone
    fix, _ = export_fix_subnet(digits_supernet)
    expected = {'backbone.first_channels', 'backbone.last_channels',
                'input_shape'}
    for i in range(1, 5):
        for name in ('kernel_size', 'expand_ratio', 'depth', 'out_channels'):
            expected.add(f'backbone.layers.{i}.{name}')
    assert set(fix) == expected
    assert isinstance(backbone.layer3, DynamicSequential)
    assert isinstance(backbone.layer3[0].depthwise_conv.conv, BigNasConv2d)
    assert [type(m).__name__ for m in backbone.layers][-1] == 'Sequential'
    assert backbone.layer3.get_mutable_attr('depth').choices == [1, 2, 3]


def test_subnet_file_bad_input(digits_supernet, tmp_path):
    fix, _ = export_fix_subnet(digits_supernet)
    good = {k: dict(chosen=v.chosen) for k, v in fix.items()}

    def load(subnet):
        model = copy.deepcopy(digits_supernet)
        path = tmp_path / 'subnet.yaml'
        path.write_text(yaml.safe_dump(subnet))
        load_fix_subnet(model, str(path))
        return model

    bad = copy.deepcopy(good)
    bad['backbone.layers.9.kernel_size'] = dict(chosen=3)
    with pytest.raises(KeyError, match=r"unknown keys \['backbone.layers.9"):
        load(bad)
    bad = copy.deepcopy(good)
    bad['backbone.layers.2.kernel_size'] = dict(chosen=7)
    with pytest.raises(ValueError,
                       match=r'backbone.layers.2.kernel_size.*\[3, 5\]'):
        load(bad)
    bad = copy.deepcopy(good)
    bad['input_shape'] = dict(chosen=[14, 14])
    with pytest.raises(ValueError,
                       match=r'input_shape.*\[\[12, 12\], \[16, 16\]\]'):
        load(bad)
    bad = copy.deepcopy(good)
    bad['backbone.layers.3.out_channels'] = dict(chosen=20)
    with pytest.raises(ValueError, match=r'out_channels.*\[24, 32\]'):
        load(bad)
    static = load(good)
    assert not any(isinstance(m, DynamicSequential) for m in static.modules())


@pytest.mark.parametrize('kind', ['min', 'max'])
def test_min_max_static_equals_dynamic(digits_supernet, kind):
    model = copy.deepcopy(digits_supernet).eval()
    mutator = NasMutator()
    mutator.prepare_from_supernet(model)
    mutator.set_choices(mutator.sample_choices(kind))
    x = torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        expected = model(x, mode='tensor')
    _, static = export_fix_subnet(model, slice_weight=True)
    with torch.no_grad():
        torch.testing.assert_close(static(x, mode='tensor'), expected)


def test_ofa_fine_grained_aliases():
    torch.manual_seed(0)
    model = MODELS.build(
        _supernet_cfg(osp.join(OFA, 'ofa_mobilenet_supernet_32xb64_in1k.py')))
    fix, _ = export_fix_subnet(model)
    assert 'backbone.layers.2.3.kernel_size' in fix
    assert 'backbone.layers.3.0.expand_ratio_se' in fix  # SE stage
    assert 'backbone.layers.4.0.expand_ratio_se' not in fix  # no SE
    assert 'backbone.layers.2.kernel_size' not in fix
    conv = model.backbone.layer2[0].depthwise_conv.conv
    assert isinstance(conv, OFAConv2d)
    assert conv.trans_matrix_7to5.shape == (25, 25)


# published subnets: (config, yaml, MFLOPs, Mparams) of the README tables
TABLE = [
    (BIGNAS, 'attentive_mobilenet_subnet_8xb256_in1k.py',
     'ATTENTIVE_SUBNET_A0.yaml', 212., 8.854),
    (BIGNAS, 'attentive_mobilenet_subnet_8xb256_in1k.py',
     'ATTENTIVE_SUBNET_A6.yaml', 927., 15.594),
    (OFA, 'ofa_mobilenet_subnet_8xb256_in1k.py',
     'OFA_SUBNET_NOTE8_LAT22.yaml', 70.9, 4.3),
    (OFA, 'ofa_mobilenet_subnet_8xb256_in1k.py',
     'OFA_SUBNET_NOTE8_LAT31.yaml', 105.4, 4.6),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    'folder,config,subnet,mflops,mparams',
    TABLE,
    ids=[t[2] for t in TABLE])
def test_published_subnet_flops_params(folder, config, subnet, mflops,
                                       mparams):
    from mmengine.analysis import get_model_complexity_info
    cfg = Config.fromfile(osp.join(folder, config))
    cfg.model.fix_subnet = osp.join(folder, subnet)
    cfg.model.init_cfg = None  # no download
    model = MODELS.build(cfg.model).eval()
    assert not any(
        getattr(m, 'is_fixed', True) is False for m in model.modules())
    h, w = model.input_resizer.shape
    result = get_model_complexity_info(
        model, input_shape=(3, 224, 224), show_table=False, show_arch=False)
    assert abs(result['flops'] / 1e6 - mflops) / mflops < 0.03
    assert abs(result['params'] / 1e6 - mparams) / mparams < 0.03
    # every subnet file lists only aliases of the supernet (strict load)
    assert (h, w) == tuple(
        yaml.safe_load(open(osp.join(folder, subnet)))['input_shape']
        ['chosen'])


@pytest.mark.slow
def test_other_attentive_subnets_load():
    cfg = Config.fromfile(
        osp.join(BIGNAS, 'attentive_mobilenet_subnet_8xb256_in1k.py'))
    supernet = MODELS.build(cfg.model.cfg)
    x = torch.rand(1, 3, 32, 32)
    for name in ('A1', 'A2', 'A3', 'A4', 'A5'):
        model = copy.deepcopy(supernet)
        path = osp.join(BIGNAS, f'ATTENTIVE_SUBNET_{name}.yaml')
        load_fix_subnet(model, path)
        subnet = yaml.safe_load(open(path))
        depth = subnet['backbone.layers.6.depth']['chosen']
        assert len(model.backbone.layer6) == depth
        assert model.head.fc.in_features == \
            subnet['backbone.last_channels']['chosen']
        with torch.no_grad():
            assert model.eval()(x, mode='tensor').shape == (1, 1000)
