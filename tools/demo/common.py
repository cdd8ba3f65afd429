# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers shared by the stages of ``tools/demo.sh``.

A stage is a module ``tools/demo/stage_<name>.py`` with a function
``run(ctx: DemoContext) -> List[dict]``; each returned dict is one row of
the final table (keys: ``stage``, ``model``, ``accuracy``, ``params``,
``flops``, ``wall_s`` and an optional ``note``).
"""
import os
import os.path as osp
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VANILLA_CONFIG = osp.join(
    REPO, 'configs/vanilla/mmcls/digits/resnet18-w16_1xb32_digits.py')


@dataclass
class DemoContext:
    """What every stage gets.

    Attributes:
        work_dir (str): The demo's root work dir; a stage writes under
            ``work_dir/<stage>``.
        python (str): The interpreter to run the tools with.
        vanilla_config (str): The vanilla digits config.
        vanilla_ckpt (str): The checkpoint the vanilla stage trained.
        results (dict): Values earlier stages share with later ones.
    """
    work_dir: str
    python: str = sys.executable
    vanilla_config: str = VANILLA_CONFIG
    vanilla_ckpt: Optional[str] = None
    results: Dict = field(default_factory=dict)


def run_tool(ctx: DemoContext, script: str, args: Sequence[str],
             log_name: str) -> float:
    """Run ``tools/<script>`` with the demo's Python; log to a file.

    Args:
        ctx (DemoContext): The demo context.
        script (str): e.g. ``'train.py'``.
        args (Sequence[str]): Its arguments.
        log_name (str): Log file name under ``ctx.work_dir``.

    Returns:
        float: Wall time in seconds.

    Raises:
        RuntimeError: The tool failed; the message holds the log's tail.
    """
    log_path = osp.join(ctx.work_dir, log_name)
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    cmd = [ctx.python, osp.join(REPO, 'tools', script), *args]
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.run(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = ''.join(f.readlines()[-30:])
        raise RuntimeError(f'{" ".join(cmd)} failed ({proc.returncode}); '
                           f'log {log_path}:\n{tail}')
    return wall


def latest_checkpoint(work_dir: str) -> str:
    """The checkpoint named in ``work_dir/last_checkpoint``."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def build_model(config: str, checkpoint: Optional[str] = None):
    """Build ``cfg.model`` and load ``checkpoint`` (safe loader)."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    from mmengine.runner import load_checkpoint

    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(config)
    scope = cfg.get('default_scope', 'mmrazor')
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu')
    model.eval()
    return model, cfg


def evaluate_accuracy(model, cfg, split: str = 'test') -> float:
    """Top-1 accuracy (%) of ``model`` on a digits split."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, DefaultScope
    scope = cfg.get('default_scope', 'mmrazor')
    ds_cfg = dict(cfg.test_dataloader.dataset)
    ds_cfg['split'] = split
    with DefaultScope.overwrite_default_scope(scope):
        dataset = DATASETS.build(ds_cfg)
    correct = 0
    with torch.no_grad():
        for start in range(0, len(dataset), 128):
            batch = pseudo_collate([
                dataset[i]
                for i in range(start, min(start + 128, len(dataset)))
            ])
            outputs = model.test_step(batch)
            for out in outputs:
                pred = int(out.pred_label.reshape(-1)[0])
                correct += int(pred == int(out.gt_label.reshape(-1)[0]))
    return 100.0 * correct / len(dataset)


def flops_params(model, input_shape: Sequence[int]) -> Dict[str, float]:
    """FLOPs (multiply-adds) and parameters of ``model(inputs)``."""
    import torch
    from mmengine.analysis import FlopAnalyzer
    params = sum(p.numel() for p in model.parameters())
    inputs = torch.zeros(1, *input_shape)
    with torch.no_grad():
        analyzer = FlopAnalyzer(model, inputs)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        flops = analyzer.total()
    return dict(flops=float(flops), params=float(params))


def format_table(rows: List[dict]) -> str:
    """A Markdown table of the stage rows."""
    cols = ['stage', 'model', 'accuracy', 'params', 'flops', 'wall_s', 'note']
    header = '| ' + ' | '.join(cols) + ' |'
    lines = [header, '|' + '---|' * len(cols)]

    def fmt(key, value):
        if value is None or value == '':
            return '-'
        if key == 'accuracy':
            return f'{value:.2f} %'
        if key in ('params', 'flops'):
            if value >= 1e6:
                return f'{value / 1e6:.2f} M'
            return f'{value / 1e3:.1f} K'
        if key == 'wall_s':
            return f'{value:.0f} s'
        return str(value)

    for row in rows:
        lines.append('| ' + ' | '.join(fmt(c, row.get(c))
                                       for c in cols) + ' |')
    return '\n'.join(lines)
