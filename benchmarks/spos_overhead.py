# Copyright (c) OpenMMLab. All rights reserved.
"""Overhead of training a SPOS supernet path vs. the same static subnet.

Builds the SPOS ShuffleNetV2 supernet (configs/_base_/nas_backbones), samples
one path, exports that path as a static model (``export_fix_subnet(...,
slice_weight=True)``), and times ``train_step`` of both side by side,
interleaved, on the same batches:

* supernet: ``SPOS.train_step`` (the mutator samples a path every step; the
  benchmark pins the sampled path, so both sides run identical FLOPs and
  the difference is the supernet machinery: sampling, setting choices,
  mutable dispatch, the larger optimizer parameter list);
* static: ``train_step`` of the exported ``ImageClassifier``.

The two sides alternate which one runs first. They are measured on one
intra-op thread and then at torch's default thread count (``--threads 1
0``; on a shared machine multi-threaded steps swing by +-30 % between
runs).

Usage::

    python benchmarks/spos_overhead.py [--iters 20] [--batch 16] [--size 64]
        [--threads 1 0] [--runs 3]

``--runs N`` repeats the whole measurement in N fresh processes and
prints the median, min and max of each figure.

The last line is ``ratio=<supernet/static at the first thread count>
ratio_threads<N>=<... at N threads>`` (target <= 1.10).
"""
import argparse
import os.path as osp
import random
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def build(num_classes: int = 1000):
    import mmpretrain.registry  # noqa: F401
    from mmengine.config import Config

    import mmrazor  # noqa: F401
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/nas_backbones/'
                 'spos_shufflenet_supernet.py'))
    supernet = dict(
        type='mmcls.ImageClassifier',
        backbone=cfg.nas_backbone,
        neck=dict(type='mmcls.GlobalAveragePooling'),
        head=dict(
            type='mmcls.LinearClsHead',
            num_classes=num_classes,
            in_channels=1024,
            loss=dict(type='mmcls.CrossEntropyLoss')))
    return MODELS.build(dict(type='mmrazor.SPOS', architecture=supernet))


def main():
    from repeat_runs import add_runs_argument
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument(
        '--threads',
        type=int,
        nargs='+',
        default=[1, 0],
        help='intra-op thread counts to measure, one run each; 0 keeps '
        "torch's default")
    add_runs_argument(parser)
    args = parser.parse_args()
    if args.runs > 1:
        from repeat_runs import repeat_runs
        sys.exit(repeat_runs(__file__, sys.argv[1:], args.runs))
    default_threads = torch.get_num_threads()
    torch.manual_seed(0)
    random.seed(0)

    from mmengine.optim import OptimWrapper
    from mmpretrain.structures import DataSample

    from mmrazor.structures.subnet import export_fix_subnet

    algo = build()
    subnet = algo.mutator.sample_choices()
    algo.mutator.set_choices(subnet)
    _, static = export_fix_subnet(algo.architecture, slice_weight=True)

    # pin the sampled path on the supernet side: sampling still runs
    sample = algo.mutator.sample_choices
    algo.mutator.sample_choices = lambda kind='random': (sample(kind), subnet)[
        1]

    def wrapper(model):
        return OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9))

    sides = dict(
        supernet=(algo, wrapper(algo)), static=(static, wrapper(static)))

    def batch():
        inputs = torch.randint(
            0, 255, (3, args.size, args.size), dtype=torch.uint8)
        samples = [
            DataSample().set_gt_label(int(i))
            for i in torch.randint(0, 1000, (args.batch, ))
        ]
        return dict(inputs=[inputs] * args.batch, data_samples=samples)

    def measure():
        times = {k: [] for k in sides}
        for it in range(args.warmup + args.iters):
            data = batch()
            # alternate which side runs first (ABBA) so that neither side
            # systematically gets the warmer caches or the quieter slice
            order = list(sides.items())
            if it % 2:
                order.reverse()
            for name, (model, optim) in order:
                model.train()
                start = time.perf_counter()
                model.train_step(data, optim)
                elapsed = time.perf_counter() - start
                if it >= args.warmup:
                    times[name].append(elapsed)
        return times

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    n_sup = sum(p.numel() for p in algo.parameters())
    n_sta = sum(p.numel() for p in static.parameters())
    ratios = []
    for threads in args.threads:
        torch.set_num_threads(threads or default_threads)
        times = measure()
        sup, sta = median(times['supernet']), median(times['static'])
        spread = sorted(a / b
                        for a, b in zip(times['supernet'], times['static']))
        q1, q3 = spread[len(spread) // 4], spread[3 * len(spread) // 4]
        print(f'batch={args.batch} size={args.size} iters={args.iters} '
              f'threads={torch.get_num_threads()}')
        print(f'{"model":<10}{"params (M)":>12}{"train_step (ms)":>18}')
        print(f'{"supernet":<10}{n_sup / 1e6:>12.2f}{sup * 1e3:>18.1f}')
        print(f'{"static":<10}{n_sta / 1e6:>12.2f}{sta * 1e3:>18.1f}')
        print(f'ratio of medians {sup / sta:.3f} (per-step ratios IQR '
              f'{q1:.3f}-{q3:.3f})')
        ratios.append((torch.get_num_threads(), sup / sta))
    print(f'ratio={ratios[0][1]:.3f} ' + ' '.join(f'ratio_threads{t}={r:.3f}'
                                                  for t, r in ratios[1:]))


if __name__ == '__main__':
    main()
