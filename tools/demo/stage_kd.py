# Copyright (c) OpenMMLab. All rights reserved.
"""Demo stage: knowledge distillation on digits.

The vanilla ResNet18-w16 (trained by the vanilla stage) teaches a 4x
smaller ResNet18-w8 student, with logits KD and with FitNets (feature KD
through a ConvModule connector plus logits KD), both through
tools/train.py. The student trained from scratch with the same schedule
is the baseline. Rows: teacher, student from scratch, distilled students
(test-split accuracy, parameters, FLOPs).
"""
import os.path as osp
from typing import List

from common import (REPO, DemoContext, build_model, evaluate_accuracy,
                    flops_params, latest_checkpoint, run_tool)

KD_CONFIGS = [
    ('logits KD (KLDivergence, tau=4)', 'configs/distill/mmcls/kd/'
     'kd_logits_resnet18-w16_resnet18-w8_1xb32_digits.py', 'kd'),
    ('FitNets (layer4 hint + connector, logits KD)',
     'configs/distill/mmcls/fitnets/'
     'fitnets_backbone_logits_resnet18-w16_resnet18-w8_1xb32_digits.py',
     'fitnets'),
]
# the student of the KD configs, as options of the vanilla config
STUDENT_OPTIONS = [
    'model.backbone.stem_channels=8', 'model.backbone.base_channels=8',
    'model.head.in_channels=64'
]


def build_kd_student(config: str, checkpoint: str):
    """The student of a trained KD algorithm checkpoint, and the config."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = Config.fromfile(config)
    cfg.model.teacher_ckpt = None  # restored from the algorithm checkpoint
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        algorithm = MODELS.build(cfg.model)
    load_checkpoint(algorithm, checkpoint, map_location='cpu')
    algorithm.eval()
    return algorithm, cfg


def run(ctx: DemoContext) -> List[dict]:
    if not ctx.vanilla_ckpt:
        raise RuntimeError('the KD stage needs the vanilla stage (teacher)')
    rows = []
    teacher, cfg = build_model(ctx.vanilla_config, ctx.vanilla_ckpt)
    teacher_acc = ctx.results.get('vanilla_test_acc')
    if teacher_acc is None:
        teacher_acc = evaluate_accuracy(teacher, cfg, 'test')
    rows.append(
        dict(
            stage='kd',
            model='teacher ResNet18-w16',
            accuracy=teacher_acc,
            note='vanilla stage checkpoint',
            **flops_params(teacher, (1, 16, 16))))

    # student from scratch, same schedule
    work_dir = osp.join(ctx.work_dir, 'kd', 'student_scratch')
    wall = run_tool(ctx, 'train.py', [
        ctx.vanilla_config, '--work-dir', work_dir, '--cfg-options',
        *STUDENT_OPTIONS
    ], 'kd/student_scratch.log')
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    from mmengine.runner import load_checkpoint

    import mmrazor  # noqa: F401  (serves the mmcls:: config prefix)
    scratch_cfg = Config.fromfile(ctx.vanilla_config)
    scratch_cfg.merge_from_dict({
        k: int(v)
        for k, v in (o.split('=') for o in STUDENT_OPTIONS)
    })
    with DefaultScope.overwrite_default_scope(
            scratch_cfg.get('default_scope')):
        scratch = MODELS.build(scratch_cfg.model)
    load_checkpoint(scratch, latest_checkpoint(work_dir), map_location='cpu')
    scratch.eval()
    student_cost = flops_params(scratch, (1, 16, 16))
    rows.append(
        dict(
            stage='kd',
            model='student ResNet18-w8 from scratch',
            accuracy=evaluate_accuracy(scratch, scratch_cfg, 'test'),
            wall_s=wall,
            note='same 15-epoch schedule, no teacher',
            **student_cost))

    for name, rel_config, short in KD_CONFIGS:
        config = osp.join(REPO, rel_config)
        work_dir = osp.join(ctx.work_dir, 'kd', short)
        wall = run_tool(ctx, 'train.py', [
            config, '--work-dir', work_dir, '--cfg-options',
            f'model.teacher_ckpt={ctx.vanilla_ckpt}'
        ], f'kd/{short}.log')
        algorithm, kd_cfg = build_kd_student(config,
                                             latest_checkpoint(work_dir))
        acc = evaluate_accuracy(algorithm, kd_cfg, 'test')
        ctx.results[f'kd_{short}_test_acc'] = acc
        rows.append(
            dict(
                stage='kd',
                model=f'student ResNet18-w8, {name}',
                accuracy=acc,
                wall_s=wall,
                note=f'{osp.basename(rel_config)}',
                **student_cost))
    return rows
