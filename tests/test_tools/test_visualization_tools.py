# Copyright (c) OpenMMLab. All rights reserved.
"""tools/visualizations on the digits model: feature maps and feature
differences drawn as PNGs whose content depends on the model and the input,
and the learning-rate schedule plot."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/'
    'resnet18-w16_1xb32_digits.py')
VIS = osp.join(REPO, 'tools/visualizations')
DEMO = osp.join(VIS, 'demo.jpg')
FOUR_STAGES = ['--cfg-options', 'model.backbone.out_indices=(0,1,2,3)']


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'vis_tool_{name}',
                                                  osp.join(VIS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """Two digits models with different weights."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(DIGITS)
    root = tmp_path_factory.mktemp('ckpts')
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            model = MODELS.build(cfg.model)
        model.init_weights()
        path = str(root / f'model{seed}.pth')
        torch.save({'state_dict': model.state_dict()}, path)
        paths.append(path)
    return paths


def read(path):
    img = cv2.imread(path)
    assert img is not None, path
    return img.astype(int)


@pytest.mark.slow
def test_feature_visualization(tmp_path, checkpoints):
    tool = load_tool('feature_visualization')
    vis_cfg = osp.join(VIS, 'vis_configs/backbone_feature_visualization.py')
    outs = []
    for i, ckpt in enumerate(checkpoints):
        out = str(tmp_path / f'feat{i}.png')
        paths = tool.main([
            DEMO, DIGITS, vis_cfg, ckpt, '--out-file', out, '--overlaid',
            '--channel-reduction', 'pixel_wise_max'
        ] + FOUR_STAGES)
        assert sorted(paths) == ['p3', 'p4', 'p5', 'p6']
        outs.append({k: read(v) for k, v in paths.items()})
    for name in ('p3', 'p6'):
        a, b = outs[0][name], outs[1][name]
        assert a.shape == (16, 16, 3)  # resized to the 16x16 input
        assert a.std() > 5 and b.std() > 5
        assert np.abs(a - b).mean() > 1  # depends on the weights
    # another input gives another drawing; top-k grid without reduction
    other = str(tmp_path / 'other.jpg')
    cv2.imwrite(other, 255 - cv2.imread(DEMO))
    grid = tool.main([
        other, DIGITS, vis_cfg, checkpoints[0], '--out-file',
        str(tmp_path / 'grid.png'), '--channel-reduction', 'none', '--topk',
        '4', '--arrangement', '2', '2'
    ] + FOUR_STAGES)
    g = read(grid['p3'])
    assert g.shape == (16 * 2 + 2, 16 * 2 + 2, 3)
    again = tool.main([
        other, DIGITS, vis_cfg, checkpoints[0], '--out-file',
        str(tmp_path / 'inv.png')
    ] + FOUR_STAGES)
    assert np.abs(read(again['p3']) - outs[0]['p3']).mean() > 1


@pytest.mark.slow
def test_feature_diff_visualization(tmp_path, checkpoints):
    tool = load_tool('feature_diff_visualization')
    vis_cfg = tmp_path / 'diff_vis.py'
    vis_cfg.write_text("recorders1 = dict(l2=dict(type='ModuleOutputs', "
                       "source='backbone.layer2'))\n"
                       "mappings1 = dict(l2=dict(recorder='l2'))\n"
                       'recorders2 = recorders1\nmappings2 = mappings1\n')
    same = tool.main([
        DEMO, DIGITS, DIGITS,
        str(vis_cfg), checkpoints[0], checkpoints[0], '--out-file',
        str(tmp_path / 'same.png')
    ])
    diff = tool.main([
        DEMO, DIGITS, DIGITS,
        str(vis_cfg), checkpoints[0], checkpoints[1], '--out-file',
        str(tmp_path / 'diff.png')
    ])
    d = read(diff['l2'])
    assert d.shape[:2] == (8, 8) and d.std() > 5
    assert np.abs(d - read(same['l2'])).mean() > 1


def test_vis_scheduler(tmp_path):
    tool = load_tool('vis_scheduler')
    out = str(tmp_path / 'lr.png')
    values = tool.main(
        [DIGITS, '--save-path', out, '--not-show', '--dataset-size', '320'])
    # 320 / 32 = 10 iterations per epoch, 15 epochs
    assert len(values) == 150
    assert values[0] == pytest.approx(0.01)  # LinearLR start_factor 0.1
    assert values[-1] < values[20]  # cosine decay
    img = read(out)
    assert img.shape[0] > 100 and img.std() > 5
    momentum = tool.main(
        [DIGITS, '--param', 'momentum', '--not-show', '--dataset-size', '64'])
    assert set(momentum) == {0.9}
