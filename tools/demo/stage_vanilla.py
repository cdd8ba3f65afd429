# Copyright (c) OpenMMLab. All rights reserved.
"""Demo stage: train the vanilla digits classifier with tools/train.py."""
import os.path as osp
from typing import List

from common import (DemoContext, build_model, evaluate_accuracy, flops_params,
                    latest_checkpoint, run_tool)


def run(ctx: DemoContext) -> List[dict]:
    work_dir = osp.join(ctx.work_dir, 'vanilla')
    wall = run_tool(ctx, 'train.py',
                    [ctx.vanilla_config, '--work-dir', work_dir],
                    'vanilla/train.log')
    ctx.vanilla_ckpt = latest_checkpoint(work_dir)
    model, cfg = build_model(ctx.vanilla_config, ctx.vanilla_ckpt)
    acc = evaluate_accuracy(model, cfg, 'test')
    cost = flops_params(model, (1, 16, 16))
    ctx.results['vanilla_test_acc'] = acc
    return [
        dict(
            stage='vanilla',
            model='ResNet18-w16 (digits 16x16)',
            accuracy=acc,
            wall_s=wall,
            note='train 15 epochs, test split',
            **cost)
    ]
