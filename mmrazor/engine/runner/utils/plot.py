# Copyright (c) OpenMMLab. All rights reserved.
"""Plot of the evolution search: score against FLOPs, Pareto front."""
from typing import Dict, List, Optional, Tuple

from mmrazor.utils import atomic_write


def pareto_front(points: List[Tuple[float, float]]) -> List[int]:
    """Indices of the Pareto-optimal points (min cost, max score).

    Args:
        points (list[tuple]): ``(cost, score)`` pairs.

    Returns:
        list[int]: Indices of the front, sorted by cost.
    """
    order = sorted(
        range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float('-inf')
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def plot_search_results(history: Dict[str, Dict],
                        best_subnet: Optional[Dict],
                        constraints_range: Optional[Dict],
                        path: str,
                        cost_key: str = 'flops',
                        unit: Optional[str] = None) -> List[int]:
    """Scatter score against ``cost_key`` of every evaluated candidate and
    mark the Pareto front (and the constraint bounds); written atomically.

    Args:
        history (dict): ``str(subnet) -> {'score', 'flops', ...}``.
        best_subnet (dict, optional): The selected subnet (highlighted).
        constraints_range (dict, optional): Constraints drawn as lines.
        path (str): Output PNG path.
        cost_key (str): The x axis. Defaults to ``'flops'``.
        unit (str, optional): Unit prefix of the x axis (e.g. ``'M'``).

    Returns:
        list[int]: Indices (in ``history`` order) of the Pareto front.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    keys = list(history)
    points = [(float(history[k].get(cost_key,
                                    0.0)), float(history[k].get('score', 0.0)))
              for k in keys]
    front = pareto_front(points)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter([p[0] for p in points], [p[1] for p in points],
               s=14,
               c='tab:blue',
               alpha=0.6,
               label=f'evaluated ({len(points)})')
    ax.plot([points[i][0] for i in front], [points[i][1] for i in front],
            '-o',
            c='tab:red',
            ms=5,
            label='Pareto front')
    if best_subnet is not None and str(best_subnet) in history:
        best = points[keys.index(str(best_subnet))]
        ax.scatter([best[0]], [best[1]],
                   marker='*',
                   s=200,
                   c='gold',
                   edgecolors='k',
                   label='selected',
                   zorder=5)
    if constraints_range and cost_key in constraints_range:
        bound = constraints_range[cost_key]
        bounds = bound if isinstance(bound, (list, tuple)) else (0, bound)
        for b in bounds:
            if b > 0:
                ax.axvline(b, ls='--', c='gray', lw=1, label='constraint')
    suffix = 'FLOPs' if cost_key == 'flops' else ''
    ax.set_xlabel(
        f'{cost_key} ({unit or ""}{suffix})' if unit or suffix else cost_key)
    ax.set_ylabel('score')
    ax.set_title('Evolution search: score vs ' + cost_key)
    ax.legend(loc='lower right', fontsize=8)
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100))
    finally:
        plt.close(fig)
    return front
