# Copyright (c) OpenMMLab. All rights reserved.
"""Plots written where people look rather than read: the kept channels of
each layer of a pruned model, and the student/teacher accuracy of a
distillation run per epoch. PNGs are written atomically."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from torch import nn

from mmrazor.utils import atomic_write


def layer_channels(model: nn.Module) -> Dict[str, int]:
    """Output channels (weight rows) of each conv and linear layer.

    Args:
        model (nn.Module): A model (dynamic ops report their full width).

    Returns:
        dict: ``{module name: out channels}`` in module order.
    """
    return {
        name: int(module.weight.shape[0])
        for name, module in model.named_modules()
        if isinstance(module, (nn.Conv2d, nn.Linear))
        and getattr(module, 'weight', None) is not None
    }


def _pyplot():
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt
    return plt


def plot_pruning_structure(original: Dict[str, int],
                           pruned: Dict[str, int],
                           path: str,
                           title: str = 'Kept channels per layer') -> str:
    """Bar chart of each layer's channels before and after pruning.

    Args:
        original (dict): ``{layer: channels}`` of the unpruned model.
        pruned (dict): ``{layer: channels}`` of the pruned model.
        path (str): The PNG to write.
        title (str): The title.

    Returns:
        str: ``path``.
    """
    names = [n for n in original if n in pruned]
    if not names:
        raise ValueError('plot_pruning_structure: the two models share no '
                         'conv/linear layer name')
    plt = _pyplot()
    width = max(6.0, 0.25 * len(names))
    fig, ax = plt.subplots(figsize=(width, 4.5))
    xs = list(range(len(names)))
    before = [original[n] for n in names]
    after = [pruned[n] for n in names]
    ax.bar(xs, before, color='#c6dbef', label='before')
    ax.bar(xs, after, color='#2171b5', label='kept')
    kept = sum(after) / max(sum(before), 1)
    ax.set_title(f'{title} ({kept:.1%} of the channels kept)')
    ax.set_ylabel('channels')
    ax.set_xticks(xs)
    ax.set_xticklabels(names, rotation=90, fontsize=6)
    ax.legend()
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=80))
    plt.close(fig)
    return path


def read_val_metrics(
    log_json: str,
    metric: str = 'accuracy/top1',
    teacher_prefix: str = 'teacher.'
) -> Tuple[List[int], List[float], List[float]]:
    """Student and teacher values of ``metric`` per validation.

    Args:
        log_json (str): MMEngine's scalar log (``vis_data/scalars.json`` or
            ``vis_data/<timestamp>.json``): one JSON object per line.
        metric (str): The student metric. Defaults to ``accuracy/top1``.
        teacher_prefix (str): Prefix of the teacher's metrics
            (``SingleTeacherDistillValLoop``). Defaults to ``teacher.``.

    Returns:
        tuple: Steps (epochs), student values, teacher values (NaN when a
        line has no teacher value).
    """
    if not osp.isfile(log_json):
        raise FileNotFoundError(f'log {log_json!r} does not exist')
    steps, student, teacher = [], [], []
    with open(log_json) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{log_json}:{number} is not JSON: {e}')
            if metric not in record:
                continue
            steps.append(int(record.get('step', len(steps) + 1)))
            student.append(float(record[metric]))
            teacher.append(
                float(record.get(teacher_prefix + metric, float('nan'))))
    if not steps:
        raise ValueError(f'{log_json} has no {metric!r} record (validation '
                         'metrics are logged after each validation)')
    return steps, student, teacher


def plot_kd_accuracy(steps: Sequence[int],
                     student: Sequence[float],
                     teacher: Sequence[float],
                     path: str,
                     metric: str = 'accuracy/top1',
                     title: Optional[str] = None) -> str:
    """Line plot of the student's and the teacher's metric per epoch.

    Args:
        steps (Sequence[int]): Epochs.
        student (Sequence[float]): Student values.
        teacher (Sequence[float]): Teacher values (NaN: not logged).
        path (str): The PNG to write.
        metric (str): The metric's name (y label).
        title (str, optional): The title.

    Returns:
        str: ``path``.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, student, marker='o', label='student')
    if any(t == t for t in teacher):  # not all NaN
        ax.plot(steps, teacher, marker='s', linestyle='--', label='teacher')
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('epoch')
    ax.set_ylabel(metric)
    ax.set_title(title or f'Distillation: {metric} per epoch')
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=80))
    plt.close(fig)
    return path


__all__ = [
    'layer_channels', 'plot_pruning_structure', 'read_val_metrics',
    'plot_kd_accuracy'
]
