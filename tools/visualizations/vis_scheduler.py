# Copyright (c) OpenMMLab. All rights reserved.
"""Plot the learning-rate (or momentum) schedule of a config.

    python tools/visualizations/vis_scheduler.py CONFIG [--param lr] \
        [--dataset-size N] [--ngpus 1] --save-path lr.png --not-show

The schedulers of ``param_scheduler`` are stepped as the runner steps them
(per iteration or per epoch) on a stand-in model; nothing is trained. The
dataset size is read from the training dataset when it can be built (e.g.
the digits data), otherwise pass ``--dataset-size``.
"""
import argparse
import math
import warnings
from typing import List, Tuple

from mmrazor.utils.cli import (ToolError, add_cfg_options_arg, load_config,
                               run_tool)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Visualize a learning rate or momentum schedule')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--param',
        default='lr',
        choices=['lr', 'momentum'],
        help='the parameter to plot')
    parser.add_argument(
        '--dataset-size',
        type=int,
        help='training set size (default: the size of the built dataset)')
    parser.add_argument(
        '--ngpus', type=int, default=1, help='number of GPUs (processes)')
    parser.add_argument(
        '--log-level', default='WARNING', help='mmengine log level')
    parser.add_argument('--title', default=None, help='plot title')
    parser.add_argument('--style', default='whitegrid', help='plot style')
    parser.add_argument('--save-path', default=None, help='PNG to write')
    parser.add_argument(
        '--not-show', action='store_true', help='do not show the figure')
    parser.add_argument(
        '--window-size', default='12*7', help='figure size in inches, "W*H"')
    add_cfg_options_arg(parser)
    return parser.parse_args(argv)


def _dataset_size(cfg, given):
    if given:
        return given
    from mmengine.registry import DefaultScope

    from mmrazor.registry import DATASETS
    try:
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope', 'mmrazor')):
            return len(DATASETS.build(cfg.train_dataloader.dataset))
    except (FileNotFoundError, OSError, KeyError, ValueError) as e:
        raise ToolError(
            'cannot build the training set to get its size '
            f'({type(e).__name__}: {e}); pass --dataset-size') from e


def _optimizer_cfg(cfg):
    optim = cfg.optim_wrapper
    if 'optimizer' in optim:
        return optim['optimizer']
    for value in optim.values():  # SeparateOptimWrapperConstructor
        if isinstance(value, dict) and 'optimizer' in value:
            return value['optimizer']
    raise ToolError('optim_wrapper has no optimizer')


def simulate(cfg,
             param: str,
             dataset_size: int,
             ngpus: int = 1) -> Tuple[List[int], List[float], int]:
    """The value of ``param`` at every training iteration.

    Args:
        cfg (Config): The training config.
        param (str): ``'lr'`` or ``'momentum'``.
        dataset_size (int): Samples per epoch.
        ngpus (int): Processes sharing the batches.

    Returns:
        tuple: Iterations, values, and the epoch length in iterations.
    """
    import torch
    from mmengine.optim import OptimWrapper
    from mmengine.registry import OPTIMIZERS, PARAM_SCHEDULERS, DefaultScope

    batch = cfg.train_dataloader.batch_size * ngpus
    epoch_length = max(1, math.ceil(dataset_size / batch))
    train_cfg = cfg.train_cfg
    by_epoch = train_cfg.get('by_epoch', 'max_epochs' in train_cfg)
    total = train_cfg.max_epochs * epoch_length if by_epoch else \
        train_cfg.max_iters
    model = torch.nn.Linear(1, 1)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmrazor')):
        optimizer = OPTIMIZERS.build(
            dict(_optimizer_cfg(cfg), params=model.parameters()))
        wrapper = OptimWrapper(optimizer)
        schedulers = []
        sched_cfgs = cfg.get('param_scheduler') or []
        if isinstance(sched_cfgs, dict):
            sched_cfgs = [sched_cfgs]
        for sched in sched_cfgs:
            sched = dict(sched)
            convert = sched.pop('convert_to_iter_based', False)
            if convert and sched.get('by_epoch', True):
                cls = PARAM_SCHEDULERS.get(sched.pop('type'))
                schedulers.append(
                    cls.build_iter_from_epoch(
                        wrapper, epoch_length=epoch_length, **sched))
            else:
                schedulers.append(
                    PARAM_SCHEDULERS.build(dict(sched, optimizer=wrapper)))
    iters, values = [], []
    warnings.filterwarnings(
        'ignore',
        message='Detected call of `scheduler.step',
        module='mmengine')
    for it in range(total):
        group = optimizer.param_groups[0]
        value = group.get(param)
        if value is None and param == 'momentum' and 'betas' in group:
            value = group['betas'][0]
        if value is None:
            raise ToolError(f'the optimizer has no {param!r}')
        iters.append(it)
        values.append(float(value))
        for sched in schedulers:
            if not sched.by_epoch:
                sched.step()
        if (it + 1) % epoch_length == 0:
            for sched in schedulers:
                if sched.by_epoch:
                    sched.step()
    return iters, values, epoch_length


def plot(iters, values, epoch_length, param, title, save_path, style,
         window_size, show) -> None:
    """Plot the curve; write it to ``save_path`` (atomic PNG)."""
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmrazor.utils import atomic_write
    try:
        import seaborn as sns
        sns.set_style(style)
    except ImportError:
        pass
    width, height = (float(v) for v in window_size.split('*'))
    fig, ax = plt.subplots(figsize=(width, height))
    ax.plot(iters, values, linewidth=2)
    ax.set_xlabel(f'Iters (epoch length {epoch_length})')
    ax.set_ylabel(param)
    ax.set_title(title or f'{param} schedule')
    ax.grid(True, alpha=0.3)
    if save_path:
        atomic_write(save_path, lambda p: fig.savefig(p, dpi=50))
        print(f'{param} schedule: {save_path}')
    if show:
        plt.show()
    plt.close(fig)


def main(argv=None):
    from mmrazor.utils import register_all_modules
    args = parse_args(argv)
    register_all_modules(False)
    cfg = load_config(args.config, args.cfg_options)
    size = _dataset_size(cfg, args.dataset_size)
    iters, values, epoch_length = simulate(cfg, args.param, size, args.ngpus)
    plot(iters, values, epoch_length, args.param, args.title, args.save_path,
         args.style, args.window_size, not args.not_show)
    return values


if __name__ == '__main__':
    run_tool(main)
