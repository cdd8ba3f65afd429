# Copyright (c) OpenMMLab. All rights reserved.
import importlib.util
import os.path as osp

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name):
    path = osp.join(REPO, 'tools/model_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'kd_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_convert_kd_ckpt_to_student(tmp_path):
    tool = load_tool('convert_kd_ckpt_to_student')
    ckpt = tmp_path / 'kd.pth'
    torch.save(
        dict(
            state_dict={
                'architecture.backbone.w': torch.ones(2),
                'teacher.backbone.w': torch.zeros(3),
                'distiller.connectors.a.w': torch.zeros(1),
                '_distillation_stopped': torch.tensor([False])
            },
            meta=dict(epoch=3)), ckpt)
    out = tool.main([str(ckpt)])
    assert out == str(tmp_path / 'kd_student.pth')
    new = torch.load(out, weights_only=True)
    assert list(new['state_dict']) == ['backbone.w']
    assert torch.equal(new['state_dict']['backbone.w'], torch.ones(2))
    assert new['meta'] == dict(epoch=3)
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'backbone.w': torch.ones(1)}), bad)
    with pytest.raises(tool.ToolError, match='architecture'):
        tool.main([str(bad)])


def test_convert_kd_ckpt(tmp_path):
    tool = load_tool('convert_kd_ckpt')
    ckpt = tmp_path / 'old.pth'
    torch.save(
        dict(
            state_dict={
                'architecture.model.backbone.w': torch.ones(1),
                'architecture.model.distiller.teacher.backbone.w': torch.zeros(
                    1),
                'distiller.connectors.x': torch.ones(1)
            }), ckpt)
    out = tool.main([str(ckpt)])
    assert out == str(tmp_path / 'old_latest.pth')
    keys = set(torch.load(out, weights_only=True)['state_dict'])
    assert keys == {
        'architecture.backbone.w', 'teacher.backbone.w',
        'distiller.connectors.x'
    }
    tool.main([str(ckpt), '--inplace'])
    assert 'teacher.backbone.w' in torch.load(
        ckpt, weights_only=True)['state_dict']
