# Copyright (c) OpenMMLab. All rights reserved.
"""Demo stage: L1-norm pruning of the vanilla digits model to ~50 % FLOPs.

Runs ``tools/train.py`` on the L1 pruning config (prune at the first
iteration, then finetune), builds the static pruned model from the
``fix_subnet.json`` / ``fix_subnet_weight.pth`` written by
``ItePruneValLoop`` and reports accuracy, FLOPs, params and the measured
CPU latency of the static model against the vanilla one.
"""
import os.path as osp
import time
from typing import List

from common import (REPO, DemoContext, build_model, evaluate_accuracy,
                    flops_params, run_tool)

PRUNE_CONFIG = osp.join(
    REPO, 'configs/pruning/mmcls/l1-norm/l1-norm_resnet18-w16_1xb32_digits.py')
DEPLOY_CONFIG = osp.join(
    REPO, 'configs/pruning/mmcls/l1-norm/'
    'l1-norm_resnet18-w16_1xb32_digits_deploy.py')


def build_static(work_dir: str):
    """The static pruned model from the files of ``ItePruneValLoop``."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(DEPLOY_CONFIG)
    cfg.model.fix_subnet = osp.join(work_dir, 'fix_subnet.json')
    cfg.model.init_cfg.checkpoint = osp.join(work_dir, 'fix_subnet_weight.pth')
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmrazor')):
        model = MODELS.build(cfg.model)
    model.eval()
    return model, cfg


def cpu_latency_ms(model, shape=(1, 1, 16, 16), iters: int = 200) -> float:
    """Median-of-3 mean latency (ms) of ``model(x, mode='tensor')``."""
    import torch
    x = torch.rand(shape)
    runs = []
    with torch.no_grad():
        for _ in range(10):
            model(x, mode='tensor')
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(iters):
                model(x, mode='tensor')
            runs.append((time.perf_counter() - start) / iters * 1e3)
    return sorted(runs)[1]


def run(ctx: DemoContext) -> List[dict]:
    work_dir = osp.join(ctx.work_dir, 'pruning')
    if not ctx.vanilla_ckpt:
        raise RuntimeError('the pruning stage needs the vanilla stage '
                           '(ctx.vanilla_ckpt is not set)')
    wall = run_tool(ctx, 'train.py', [
        PRUNE_CONFIG, '--work-dir', work_dir, '--cfg-options',
        f'model.architecture.init_cfg.checkpoint={ctx.vanilla_ckpt}'
    ], 'pruning/train.log')
    static, cfg = build_static(work_dir)
    acc = evaluate_accuracy(static, cfg, 'test')
    cost = flops_params(static, (1, 16, 16))
    vanilla, _ = build_model(ctx.vanilla_config, ctx.vanilla_ckpt)
    vcost = flops_params(vanilla, (1, 16, 16))
    lat_p = cpu_latency_ms(static)
    lat_v = cpu_latency_ms(vanilla)
    before = ctx.results.get('vanilla_test_acc')
    if before is None:
        before = evaluate_accuracy(vanilla, cfg, 'test')
    ctx.results['pruning_test_acc'] = acc
    note = (f'L1 prune + 8 ep finetune; acc before {before:.2f} %; '
            f"FLOPs {100 * cost['flops'] / vcost['flops']:.0f} % of "
            f'vanilla; CPU latency bs1 {lat_p:.2f} ms vs {lat_v:.2f} ms '
            'vanilla (static model)')
    return [
        dict(
            stage='pruning',
            model='ResNet18-w16 L1-pruned (static)',
            accuracy=acc,
            wall_s=wall,
            note=note,
            **cost)
    ]
