# Copyright (c) OpenMMLab. All rights reserved.
"""Demo stage: one-shot NAS on digits, chained through tools/train.py.

1. train a tiny SPOS ShuffleNetV2 supernet;
2. evolution search on it under a FLOPs constraint (writes
   best_fix_subnet.yaml and search_results.png: score vs FLOPs of every
   evaluated candidate with the Pareto front);
3. retrain the searched subnet from scratch.
"""
import os.path as osp
from typing import List

import yaml
from common import (REPO, DemoContext, build_model, evaluate_accuracy,
                    flops_params, latest_checkpoint, run_tool)

CFG_DIR = osp.join(REPO, 'configs/nas/mmcls/spos/digits')
SUPERNET = osp.join(CFG_DIR, 'spos_shufflenet-tiny_supernet_1xb32_digits.py')
SEARCH = osp.join(CFG_DIR, 'spos_shufflenet-tiny_search_1xb32_digits.py')
SUBNET = osp.join(CFG_DIR, 'spos_shufflenet-tiny_subnet_1xb32_digits.py')


def _best_candidate(search_dir: str) -> dict:
    import json
    with open(osp.join(search_dir, 'search_state.json')) as f:
        state = json.load(f)
    best = state['top_k_candidates'][0]
    return dict(list(best.values())[0], evaluated=len(state['history']))


def run(ctx: DemoContext) -> List[dict]:
    from mmengine.config import Config
    rows = []
    root = osp.join(ctx.work_dir, 'nas')

    sup_dir = osp.join(root, 'supernet')
    wall = run_tool(ctx, 'train.py', [SUPERNET, '--work-dir', sup_dir],
                    'nas/supernet.log')
    sup_ckpt = latest_checkpoint(sup_dir)
    model, cfg = build_model(SUPERNET, sup_ckpt)
    import random
    random.seed(0)
    model.mutator.set_choices(model.mutator.sample_choices())
    acc = evaluate_accuracy(model, cfg, 'test')
    rows.append(
        dict(
            stage='nas',
            model='SPOS supernet (4^6 paths)',
            accuracy=acc,
            params=float(sum(p.numel() for p in model.parameters())),
            wall_s=wall,
            note='one random path, shared BN stats, test split'))

    search_dir = osp.join(root, 'search')
    wall = run_tool(ctx, 'train.py', [
        SEARCH, '--work-dir', search_dir, '--cfg-options',
        f'load_from={sup_ckpt}'
    ], 'nas/search.log')
    best = _best_candidate(search_dir)
    search_cfg = Config.fromfile(SEARCH)
    limit = search_cfg.train_cfg.constraints_range['flops'][1]
    rows.append(
        dict(
            stage='nas',
            model='evolution search',
            accuracy=best['score'],
            flops=best['flops'] * 1e3,
            params=best['params'] * 1e3,
            wall_s=wall,
            note=(f'best of {best["evaluated"]} candidates (val, BN '
                  f'recalibrated), {best["evaluated"] / wall * 60:.1f} '
                  f'cand./min; FLOPs <= {limit:.0f} K; '
                  'plot: nas/search/search_results.png')))

    yaml_path = osp.join(search_dir, 'best_fix_subnet.yaml')
    with open(yaml_path) as f:
        chosen = [v['chosen'] for v in yaml.safe_load(f).values()]
    sub_dir = osp.join(root, 'subnet')
    wall = run_tool(ctx, 'train.py', [
        SUBNET, '--work-dir', sub_dir, '--cfg-options',
        f'model.fix_subnet={yaml_path}'
    ], 'nas/subnet.log')
    # the config dumped in the work dir holds the searched fix_subnet
    model, cfg = build_model(
        osp.join(sub_dir, osp.basename(SUBNET)), latest_checkpoint(sub_dir))
    acc = evaluate_accuracy(model, cfg, 'test')
    cost = flops_params(model, (1, 16, 16))
    from mmrazor.models.task_modules import ResourceEstimator
    razor_flops = ResourceEstimator(
        input_shape=(1, 1, 16, 16),
        units=dict(flops='K', params='K')).estimate(model)['flops']
    ctx.results['nas_subnet_test_acc'] = acc
    rows.append(
        dict(
            stage='nas',
            model='searched subnet, retrained',
            accuracy=acc,
            wall_s=wall,
            note=(f'{"/".join(c.replace("shuffle_", "") for c in chosen)}; '
                  f'{razor_flops:.1f} KFLOPs (ResourceEstimator) vs '
                  f'constraint {limit:.0f} K'),
            **cost))
    return rows
