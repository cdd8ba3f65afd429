# Copyright (c) OpenMMLab. All rights reserved.
"""ChannelAnalyzer wall time vs Torch-Pruning's dependency graph.

Both analyse the same mmpretrain ResNet-50 and MobileNetV2 (same input
size); ours includes its verification (a pruned forward of every unit at
once, units that break it dropped) and produces the unit configs and the
report. Ours records the graph with one eager forward (see
``mmrazor/models/task_modules/tracer/eager_tracer.py``); from 128x128 on
it records and verifies at a quarter of the resolution (the units do not
depend on it), so the rows at 56x56 compare both sides at the size ours
works at for any input. Runs alternate, each with the garbage collector
paused (as ``timeit`` does); the best of ``--repeat`` is kept for each.
Needs Torch-Pruning (benchmark only), installed with
``bash tools/setup_env.sh --benchmarks``. Last line:
``ratio=<worst ours/theirs>``.

    python benchmarks/channel_analysis_speed.py [--repeat 3] \
        [--sizes 224 56] [--cold-sizes 224 56]

Rows: both sides at each of ``--sizes`` (warm, best of ``--repeat``), and
a cold first call of each side in a fresh process (model built first,
not timed) at each of ``--cold-sizes`` (``--cold-size`` is an alias;
``--cold-sizes 0`` drops the cold rows). As for the warm rows, the cold
rows at 56x56 are the like-for-like ones.
"""
import argparse
import time

import torch


def load_upstream_config(cfg_path):
    """``Config.fromfile`` for a ``pkg::path`` config (via a stub file)."""
    import os
    import tempfile

    from mmengine.config import Config
    with tempfile.TemporaryDirectory() as d:
        stub = os.path.join(d, 'stub.py')
        with open(stub, 'w') as f:
            f.write(f'_base_ = [{cfg_path!r}]\n')
        return Config.fromfile(stub)


def build(cfg_path):
    from mmengine.registry import DefaultScope

    from mmrazor.registry import MODELS
    cfg = load_upstream_config(cfg_path)
    with DefaultScope.overwrite_default_scope('mmcls'):
        return MODELS.build(cfg.model).eval()


def ours(model, size):
    from mmrazor.models.task_modules.tracer import ChannelAnalyzer
    analyzer = ChannelAnalyzer(
        demo_input=dict(
            type='DefaultDemoInput',
            input_shape=(1, 3, size, size),
            scope='mmcls'))
    start = time.perf_counter()
    units = analyzer.analyze(model)
    return time.perf_counter() - start, len(units)


def theirs(model, size):
    import torch_pruning as tp

    class Tensor(torch.nn.Module):

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x, mode='tensor')

    wrapped = Tensor(model)
    x = torch.rand(1, 3, size, size)
    start = time.perf_counter()
    dg = tp.DependencyGraph().build_dependency(wrapped, example_inputs=x)
    # prunable groups: one per prunable Conv/Linear output, deduplicated
    groups = list(
        dg.get_all_groups(
            ignored_layers=[model.head.fc],
            root_module_types=[torch.nn.Conv2d, torch.nn.Linear]))
    return time.perf_counter() - start, len(groups)


def timed_alternately(run_a, run_b, repeat):
    """Best of ``repeat`` runs of each, alternating (load changes on a
    shared machine hit both alike), with the garbage collector paused
    during each run as ``timeit`` does (a collection triggered by either
    side would otherwise land on whichever runs next)."""
    import gc
    best_a = best_b = None
    for _ in range(repeat):
        for run, which in ((run_a, 'a'), (run_b, 'b')):
            gc.collect()
            gc.disable()
            try:
                res = run()
            finally:
                gc.enable()
            if which == 'a':
                best_a = res if best_a is None or res[0] < best_a[0] \
                    else best_a
            else:
                best_b = res if best_b is None or res[0] < best_b[0] \
                    else best_b
    return best_a, best_b


def cold(side, name, size):
    """One first call in this (fresh) process; prints its time."""
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    model = build(CFGS[name])
    t, n = (ours if side == 'ours' else theirs)(model, size)
    print(f'COLD {t:.6f} {n}')


def cold_in_fresh_process(side, name, size, threads):
    import os
    import subprocess
    import sys
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([
        sys.executable, __file__, '--cold', side, name,
        str(size), '--threads',
        str(threads)
    ],
                         capture_output=True,
                         text=True,
                         env=env,
                         check=True).stdout
    line = [x for x in out.splitlines() if x.startswith('COLD ')][-1]
    _, t, n = line.split()
    return float(t), int(n)


CFGS = {
    'ResNet-50': 'mmcls::resnet/resnet50_8xb32_in1k.py',
    'MobileNetV2': 'mmcls::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=[224, 56],
        help='input sizes of the warm rows (both sides the same)')
    parser.add_argument(
        '--cold-sizes',
        '--cold-size',
        dest='cold_sizes',
        type=int,
        nargs='+',
        default=[224, 56],
        help='input sizes of the cold first calls, one fresh process '
        'per side and size (0: no cold rows)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch threads for both (1 avoids thrashing '
        'on a shared machine)')
    parser.add_argument('--cold', nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(True)
    if args.cold:
        side, name, size = args.cold
        return cold(side, name, int(size))
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    worst = 0.0
    print('| model | setting | ours s | units | torch-pruning s | groups | '
          'ratio |')
    print('|---|---|---:|---:|---:|---:|---:|')

    def row(name, setting, o, t):
        nonlocal worst
        ratio = o[0] / t[0]
        worst = max(worst, ratio)
        print(
            f'| {name} | {setting} | {o[0]:.3f} | {o[1]} | {t[0]:.3f} | '
            f'{t[1]} | {ratio:.2f} |',
            flush=True)

    for name, path in CFGS.items():
        model = build(path)
        for size in args.sizes:
            ours(model, size)  # warm-up (imports, allocator)
            theirs(model, size)
            o, t = timed_alternately(lambda: ours(model, size),
                                     lambda: theirs(model, size), args.repeat)
            row(name, f'{size}x{size}', o, t)
        for size in args.cold_sizes:
            if not size:
                continue
            o = cold_in_fresh_process('ours', name, size, args.threads)
            t = cold_in_fresh_process('theirs', name, size, args.threads)
            row(name, f'cold first call, {size}x{size}', o, t)
    print(f'ratio={worst:.2f}')


if __name__ == '__main__':
    main()
