# Copyright (c) OpenMMLab. All rights reserved.
"""ChannelAnalyzer wall time vs Torch-Pruning's dependency graph.

Both analyse the same mmpretrain ResNet-50 and MobileNetV2 (same input);
ours includes its verification forward. Runs alternate, each with the
garbage collector paused (as ``timeit`` does); the best of ``--repeat`` is
kept for each. Needs ``pip install torch-pruning``
(benchmark only). Last line: ``ratio=<worst ours/theirs>``.

    python benchmarks/channel_analysis_speed.py [--repeat 3] [--size 224]
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch threads for both (1 avoids thrashing '
        'on a shared machine)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    torch.set_grad_enabled(True)
    cfgs = {
        'ResNet-50': 'mmcls::resnet/resnet50_8xb32_in1k.py',
        'MobileNetV2': 'mmcls::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
    }
    worst = 0.0
    print('| model | ours s | units | torch-pruning s | groups | ratio |')
    print('|---|---:|---:|---:|---:|---:|')
    for name, path in cfgs.items():
        model = build(path)
        ours(model, args.size)  # warm-up (imports, allocator)
        theirs(model, args.size)
        o, t = timed_alternately(lambda: ours(model, args.size),
                                 lambda: theirs(model, args.size), args.repeat)
        ratio = o[0] / t[0]
        worst = max(worst, ratio)
        print(
            f'| {name} | {o[0]:.3f} | {o[1]} | {t[0]:.3f} | {t[1]} | '
            f'{ratio:.2f} |',
            flush=True)
    print(f'ratio={worst:.2f}')


if __name__ == '__main__':
    main()
