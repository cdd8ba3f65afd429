# Copyright (c) OpenMMLab. All rights reserved.
"""DARTS genotype export (the DARTS subnet YAML), loading it through
load_fix_subnet / the subnet configs, convert_supernet2subnet.py on a DARTS
checkpoint, and bad subnet files."""
import os.path as osp
import runpy
import sys

import pytest
import torch
from mmengine import fileio
from mmengine.config import Config

from mmrazor.models import Darts
from mmrazor.models.mutables import DiffChoiceRoute, DiffMutableOP
from mmrazor.registry import MODELS
from mmrazor.structures.subnet import (dump_fix_subnet, export_fix_subnet,
                                       load_fix_subnet)

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DIGITS = osp.join(REPO, 'configs/nas/mmcls/darts/digits')
OPS = [
    'zero', 'skip_connect', 'max_pool_3x3', 'avg_pool_3x3', 'sep_conv_3x3',
    'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'
]


@pytest.fixture(scope='module')
def search_cfg():
    import mmpretrain.registry  # noqa: F401
    return Config.fromfile(osp.join(DIGITS, 'darts_supernet_1xb32_digits.py'))


def _set_alphas(model):
    """A known genotype: every edge prefers `zero` most (never derived),
    then the op indexed by its alias; routes prefer their last edges."""
    for key, mutables in model.mutator.search_groups.items():
        param = model.mutator.arch_params[str(key)]
        mutable = mutables[0]
        with torch.no_grad():
            if isinstance(mutable, DiffChoiceRoute):
                param.copy_(torch.arange(float(param.numel())))
            else:
                node, edge = mutable.alias.split('_')[-2:]
                best = 1 + (int(node[1:]) + int(edge[1:])) % 7
                param.fill_(0.)
                param[best] = 5.
                param[0] = 9.  # zero


def test_genotype_export_is_the_darts_subnet_yaml(search_cfg, tmp_path):
    model = MODELS.build(search_cfg.model)
    assert isinstance(model, Darts)
    _set_alphas(model)
    model.set_subnet(model.sample_subnet())
    fix_subnet, _ = export_fix_subnet(model.architecture)
    path = tmp_path / 'genotype.yaml'
    dump_fix_subnet(fix_subnet, path)
    loaded = fileio.load(str(path))
    expected = dict()
    for kind in ('normal', 'reduce'):
        # node 2 keeps both inputs, node 3 its 2 strongest (p2, p1)
        for node, edges in ((2, ['p1', 'p0']), (3, ['p2', 'p1'])):
            expected[f'{kind}_n{node}'] = dict(
                chosen=[f'{kind}_n{node}_{e}' for e in edges])
            for e in edges:
                op = OPS[1 + (node + int(e[1:])) % 7]
                expected[f'{kind}_n{node}_{e}'] = dict(chosen=[op])
    assert loaded == expected

    # the subnet config retrains it: only the chosen ops remain
    cfg = Config.fromfile(osp.join(DIGITS, 'darts_subnet_1xb32_digits.py'))
    cfg.model.fix_subnet = str(path)
    subnet = MODELS.build(cfg.model)
    ops = [m for m in subnet.modules() if isinstance(m, DiffMutableOP)]
    routes = [m for m in subnet.modules() if isinstance(m, DiffChoiceRoute)]
    assert all(m.is_fixed for m in ops + routes)
    assert len(ops) == 3 * 4  # 3 cells x 2 nodes x 2 kept edges
    for route in routes:
        assert sorted(route.choices) == sorted(expected[route.alias]['chosen'])
    for op in ops:
        assert op.choices == expected[op.alias]['chosen']
    out = subnet(torch.rand(2, 1, 16, 16))
    assert out.shape == (2, 10)


def test_routes_without_arch_param_rank_edges_by_their_ops(search_cfg):
    cfg = search_cfg.copy()
    cfg.model.architecture.backbone.route_cfg = dict(
        type='mmrazor.DiffChoiceRoute', with_arch_param=False)
    model = MODELS.build(cfg.model)
    _set_alphas(model)
    # edge p0 of normal_n3 is made the strongest by a non-zero op
    for key, mutables in model.mutator.search_groups.items():
        if mutables[0].alias == 'normal_n3_p0':
            with torch.no_grad():
                model.mutator.arch_params[str(key)][3] = 8.
    subnet = model.sample_subnet()
    route_choices = {
        model.mutator.search_groups[k][0].alias: v
        for k, v in subnet.items()
        if isinstance(model.mutator.search_groups[k][0], DiffChoiceRoute)
    }
    assert route_choices['normal_n3'][0] == 'normal_n3_p0'


def test_paper_yaml_loads_into_the_cifar_supernet():
    import mmpretrain.registry  # noqa: F401
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/nas_backbones/darts_supernet.py'))
    backbone = MODELS.build(cfg.nas_backbone)
    load_fix_subnet(
        backbone,
        osp.join(
            REPO, 'configs/nas/mmcls/darts/'
            'DARTS_SUBNET_CIFAR_PAPER_ALIAS.yaml'))
    route = backbone.cells[0].nodes[3].route
    assert sorted(route.choices) == ['normal_n5_p0', 'normal_n5_p2']
    assert route._candidates['normal_n5_p2'].choices == ['dil_conv_3x3']
    assert backbone(torch.rand(1, 3, 16, 16))[0].shape == (1, 256, 4, 4)


def test_bad_subnet_files_name_the_key(search_cfg, tmp_path):
    yaml = fileio.load(osp.join(DIGITS, 'DARTS_SUBNET_DIGITS.yaml'))
    backbone_cfg = search_cfg.model.architecture.backbone

    bad_op = {k: dict(v) for k, v in yaml.items()}
    bad_op['normal_n2_p0'] = dict(chosen=['conv_9x9'])
    with pytest.raises(KeyError, match=r"normal_n2_p0.*conv_9x9"):
        load_fix_subnet(MODELS.build(backbone_cfg), bad_op)

    three = {k: dict(v) for k, v in yaml.items()}
    three['normal_n3'] = dict(
        chosen=['normal_n3_p0', 'normal_n3_p1', 'normal_n3_p2'])
    for e in ('p0', 'p1', 'p2'):
        three[f'normal_n3_{e}'] = dict(chosen=['skip_connect'])
    with pytest.raises(ValueError, match=r"'normal_n3'.*num_chosen=2"):
        load_fix_subnet(MODELS.build(backbone_cfg), three)

    missing = {k: v for k, v in yaml.items() if k != 'reduce_n2'}
    with pytest.raises(KeyError, match=r"missing keys \['reduce_n2'\]"):
        load_fix_subnet(MODELS.build(backbone_cfg), missing)


@pytest.mark.slow
def test_convert_supernet2subnet_on_a_darts_checkpoint(search_cfg, tmp_path,
                                                       monkeypatch):
    model = MODELS.build(search_cfg.model)
    _set_alphas(model)
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, str(ckpt))
    model.set_subnet(model.sample_subnet())
    fix_subnet, _ = export_fix_subnet(model.architecture)
    yaml = tmp_path / 'subnet.yaml'
    dump_fix_subnet(fix_subnet, yaml)

    monkeypatch.setattr(sys, 'argv', [
        'convert_supernet2subnet.py',
        osp.join(DIGITS, 'darts_supernet_1xb32_digits.py'),
        str(ckpt),
        str(yaml), '--cfg-options', f'work_dir={tmp_path}/wd'
    ])
    runpy.run_path(
        osp.join(REPO, 'tools/model_converters/convert_supernet2subnet.py'),
        run_name='__main__')
    outs = [p for p in tmp_path.iterdir() if p.name.startswith('subnet_')]
    assert len(outs) == 1
    state = torch.load(str(outs[0]), weights_only=True)['state_dict']
    supernet_state = model.architecture.state_dict()
    op_keys = [k for k in state if '._candidates.' in k]
    assert op_keys and all(k in supernet_state for k in state)
    # only the chosen op of the kept edges remain, with the supernet weights
    assert len(state) < len(supernet_state)
    key = next(k for k in op_keys if 'normal_n2_p0._candidates.' in k)
    assert f'_candidates.{fix_subnet["normal_n2_p0"].chosen[0]}.' in key
    for k, v in state.items():
        assert torch.equal(v, supernet_state[k]), k
