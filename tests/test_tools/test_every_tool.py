# Copyright (c) OpenMMLab. All rights reserved.
"""Every tool answers ``--help``, and every tool is run by some test."""
import glob
import os
import os.path as osp
import runpy
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def collect_tools():
    tools = []
    for path in sorted(
            glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True)):
        rel = osp.relpath(path, REPO)
        name = osp.basename(path)
        if name.startswith('_') or 'vis_configs' in rel:
            continue  # helpers and configs
        if rel.startswith(osp.join('tools', 'demo')) and \
                name != 'run_demo.py':
            continue  # demo stages run through run_demo.py
        tools.append(rel)
    return tools


TOOLS = collect_tools()
#: Tools run by a test of this file.
RUN_HERE = ('tools/misc/print_config.py',
            'tools/model_converters/convert_supernet2subnet.py')
#: The end-to-end demo (minutes) is run by tools/demo.sh, not the suite.
NOT_IN_SUITE = ('tools/demo/run_demo.py', )


def test_tools_found():
    for tool in ('tools/train.py', 'tools/test.py', 'tools/ptq.py',
                 'tools/misc/print_config.py',
                 'tools/model_converters/publish_model.py',
                 'tools/visualizations/feature_visualization.py',
                 'tools/visualizations/feature_diff_visualization.py',
                 'tools/visualizations/vis_scheduler.py',
                 'tools/pruning/get_static_model_from_algorithm.py'):
        assert tool in TOOLS, tool


@pytest.mark.parametrize('tool', TOOLS)
def test_help(tool, capsys, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [tool, '--help'])
    monkeypatch.setattr(sys, 'path', list(sys.path))
    with pytest.raises(SystemExit) as info:
        runpy.run_path(osp.join(REPO, tool), run_name='__main__')
    assert info.value.code in (0, None)
    out = capsys.readouterr().out
    assert out.startswith('usage:'), out[:200]


def test_every_tool_is_run_by_a_test():
    sources = {}
    for path in glob.glob(
            osp.join(REPO, 'tests', '**', '*.py'), recursive=True):
        if osp.abspath(path) != osp.abspath(__file__):
            sources[path] = open(path).read()
    unused = [
        tool for tool in TOOLS
        if tool not in RUN_HERE + NOT_IN_SUITE and not any(
            osp.splitext(osp.basename(tool))[0] in text
            for text in sources.values())
    ]
    assert not unused, unused


@pytest.mark.slow
def test_print_config_and_supernet2subnet(tmp_path, capsys, monkeypatch):
    import torch
    import yaml
    digits = osp.join(
        REPO, 'configs/vanilla/mmcls/digits/'
        'resnet18-w16_1xb32_digits.py')
    monkeypatch.setattr(
        sys, 'argv',
        ['print_config.py', digits, '--cfg-options', 'train_cfg.max_epochs=3'])
    runpy.run_path(
        osp.join(REPO, 'tools/misc/print_config.py'), run_name='__main__')
    out = capsys.readouterr().out
    assert 'max_epochs=3' in out and 'ResNet_CIFAR' in out

    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmrazor.registry import MODELS
    from mmrazor.structures.subnet.fix_subnet import (convert_fix_subnet,
                                                      export_fix_subnet)
    supernet_cfg = osp.join(
        REPO, 'configs/nas/mmcls/spos/digits/'
        'spos_shufflenet-tiny_supernet_1xb32_digits.py')
    cfg = Config.fromfile(supernet_cfg)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        algo = MODELS.build(cfg.model)
    algo.mutator.set_choices(algo.mutator.sample_choices())
    subnet = convert_fix_subnet(export_fix_subnet(algo.architecture)[0])
    yaml_path = str(tmp_path / 'subnet.yaml')
    with open(yaml_path, 'w') as f:
        yaml.safe_dump(subnet, f)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': algo.state_dict(), 'meta': {}}, ckpt)
    monkeypatch.setattr(sys, 'argv', [
        'convert_supernet2subnet.py', supernet_cfg, ckpt, yaml_path,
        '--cfg-options', f'work_dir={tmp_path / "work"}'
    ])
    runpy.run_path(
        osp.join(REPO, 'tools/model_converters/convert_supernet2subnet.py'),
        run_name='__main__')
    outs = [f for f in os.listdir(tmp_path) if f.startswith('subnet_')]
    assert len(outs) == 1
    state = torch.load(str(tmp_path / outs[0]), weights_only=True)
    # the sliced subnet keeps one candidate per searchable layer
    assert len(state['state_dict']) < len(algo.architecture.state_dict())
