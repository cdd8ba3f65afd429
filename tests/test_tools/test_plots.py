# Copyright (c) OpenMMLab. All rights reserved.
"""The pruning-structure plot of get_static_model_from_algorithm.py and the
KD accuracy plot of vis_kd_accuracy.py (from a real digits KD run's log)."""
import glob
import importlib.util
import json
import os.path as osp

import cv2
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(rel):
    name = osp.splitext(osp.basename(rel))[0]
    spec = importlib.util.spec_from_file_location(f'plot_tool_{name}',
                                                  osp.join(REPO, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_png(path):
    img = cv2.imread(path)
    assert img is not None, path
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 10  # not blank
    return img


def test_pruning_structure_plot(tmp_path):
    import sys
    sys.path.insert(0, osp.join(REPO, 'tools/pruning'))
    from _common import build_model, load_config

    from mmrazor.visualization import layer_channels
    tool = load_tool('tools/pruning/get_static_model_from_algorithm.py')
    config = osp.join(
        REPO, 'configs/pruning/mmcls/l1-norm/'
        'l1-norm_resnet18-w16_1xb32_digits.py')
    cfg = load_config(config)
    algo = build_model(cfg)
    choices = {k: 0.5 for k in algo.mutator.current_choices}
    algo.mutator.set_choices(choices)
    ckpt = str(tmp_path / 'algo.pth')
    torch.save({'state_dict': algo.state_dict(), 'meta': {}}, ckpt)
    _, _, arch = tool.main([config, ckpt, '-o', str(tmp_path)])
    png = str(tmp_path / 'algo_pruned_structure.png')
    check_png(png)
    before = layer_channels(algo.architecture)
    after = layer_channels(arch)
    assert set(after) == set(before)
    assert sum(after.values()) < 0.75 * sum(before.values())
    assert after['head.fc'] == before['head.fc'] == 10


def test_pruning_plot_errors(tmp_path):
    from mmrazor.visualization import plot_pruning_structure
    with pytest.raises(ValueError, match='share no'):
        plot_pruning_structure({'a': 1}, {'b': 1}, str(tmp_path / 'x.png'))


@pytest.mark.slow
def test_kd_accuracy_plot_from_a_run(tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/distill/mmcls/kd/'
            'kd_logits_resnet18-w16_resnet18-w8_1xb32_digits.py'))
    cfg.model.teacher_ckpt = None
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)
    cfg.train_dataloader.dataset.indices = 96
    cfg.val_dataloader.dataset.indices = 64
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.param_scheduler = []
    Runner.from_cfg(cfg).train()
    logs = glob.glob(osp.join(cfg.work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(logs) == 1
    tool = load_tool('tools/visualizations/vis_kd_accuracy.py')
    out = str(tmp_path / 'kd.png')
    steps, student, teacher = tool.main([logs[0], '--out-file', out])
    assert steps == [1, 2, 3]
    records = [json.loads(line) for line in open(logs[0])]
    vals = [r for r in records if 'accuracy/top1' in r]
    assert student == [r['accuracy/top1'] for r in vals]
    assert teacher == [r['teacher.accuracy/top1'] for r in vals]
    check_png(out)
    with pytest.raises(tool.ToolError, match='no .*loss_x'):
        tool.main([logs[0], '--out-file', out, '--metric', 'loss_x'])
