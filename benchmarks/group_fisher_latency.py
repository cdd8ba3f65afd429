# Copyright (c) OpenMMLab. All rights reserved.
"""ONNX Runtime latency of a ResNet-50 pruned by Group Fisher to ~50 % of
its FLOPs, deployed static, against the unpruned model.

The model has random weights (no download). The Group Fisher importance
(activation x gradient of every channel group) is accumulated over a few
random batches at 224x224; then ``GroupFisherChannelMutator.try_prune`` -
the algorithm's own pruning step - removes the least important channel,
normalised by its FLOPs, again and again until the model has ``--target``
of its FLOPs. The pruned model is exported static, widened to multiples of
``--divisor`` with zero weights (``make_channel_divisible``, what
``GroupFisherSubModel(divisor=...)`` does) and both models run in ONNX
Runtime at batch 1 and 32 on one thread, interleaved, warmed up; medians
with their spread. Last line: ``ratio=<worst pruned/unpruned latency>``.

    python benchmarks/group_fisher_latency.py [--target 0.5] \
        [--divisor 16] [--iters 15] [--threads 1]
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from pruned_latency import Tensor, load_upstream_config  # noqa: E402


def time_pair(run_a, run_b, iters):
    """Latencies of two callables measured alternately, after warm-up."""
    for _ in range(2):
        run_a()
        run_b()
    ta, tb = [], []
    for _ in range(iters):
        s = time.perf_counter()
        run_a()
        ta.append(time.perf_counter() - s)
        s = time.perf_counter()
        run_b()
        tb.append(time.perf_counter() - s)
    return ta, tb


def ort_session(model, x, d, name, threads):
    import onnxruntime as ort
    path = osp.join(d, f'{name}.onnx')
    torch.onnx.export(model, (x, ), path, opset_version=17, dynamo=False)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=['CPUExecutionProvider'])
    feed = {sess.get_inputs()[0].name: x.numpy()}
    return lambda: sess.run(None, feed)


def flops_of(model, size):
    from mmrazor.models.task_modules.estimators.counters import \
        get_model_flops_params
    return get_model_flops_params(
        Tensor(model), (1, 3, size, size), units=dict(flops=None, params=None))


def group_fisher_prune(full, args):
    """A static copy of ``full`` pruned by Group Fisher importance."""
    from mmrazor.implementations.pruning.group_fisher import \
        GroupFisherAlgorithm
    arch = copy.deepcopy(full)
    algo = GroupFisherAlgorithm(
        arch,
        mutator=dict(
            type='GroupFisherChannelMutator',
            parse_cfg=dict(
                type='ChannelAnalyzer',
                tracer_type='FxTracer',
                demo_input=dict(
                    type='DefaultDemoInput',
                    input_shape=(1, 3, 64, 64),
                    scope='mmcls')),
            channel_unit_cfg=dict(
                type='GroupFisherChannelUnit',
                default_args=dict(normalization_type='flops'))),
        interval=1)
    mutator = algo.mutator
    g = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    arch.train()
    for _ in range(args.batches):
        x = torch.randn(args.batch_size, 3, 224, 224, generator=g)
        y = torch.randint(0, 1000, (args.batch_size, ), generator=g)
        mutator.start_record_info()
        out = arch(x, mode='tensor')
        torch.nn.functional.cross_entropy(out, y).backward()
        mutator.end_record_info()
        mutator.update_imp()
        mutator.reset_recorded_info()
    arch.zero_grad()
    t_fisher = time.perf_counter() - start
    start = time.perf_counter()
    origin = flops_of(arch, 64)[0]
    ratio, pruned, step = 1.0, 0, 256
    while ratio > args.target:
        for _ in range(step):
            if mutator.try_prune() is None:
                raise RuntimeError('no channel left to prune')
            pruned += 1
        ratio = flops_of(arch, 64)[0] / origin
        if ratio - args.target < 0.05:
            step = 16
    t_prune = time.perf_counter() - start
    from mmrazor.structures.subnet import export_fix_subnet
    algo.eval()
    _, static = export_fix_subnet(
        algo, export_subnet_mode='mutator', slice_weight=True)
    static = static.architecture.eval()
    print(f'Group Fisher: importance of {args.batches} batches of '
          f'{args.batch_size} in {t_fisher:.1f} s; {pruned} channels pruned '
          f'in {t_prune:.1f} s')
    return static


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--target', type=float, default=0.5)
    parser.add_argument('--divisor', type=int, default=16)
    parser.add_argument('--iters', type=int, default=15)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--batches', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from mmengine.registry import DefaultScope

    from mmrazor.models.utils.expandable_utils import make_channel_divisible
    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = load_upstream_config('mmcls::resnet/resnet50_8xb32_in1k.py')
    with DefaultScope.overwrite_default_scope('mmcls'):
        full = MODELS.build(cfg.model).eval()
    pruned = group_fisher_prune(full, args)
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        before = pruned(x, mode='tensor')
    if args.divisor > 1:
        make_channel_divisible(
            pruned,
            args.divisor,
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 3, 64, 64),
                scope='mmcls'))
        pruned.eval()
        with torch.no_grad():
            diff = (pruned(x, mode='tensor') - before).abs().max().item()
        print(f'widened to multiples of {args.divisor} (max output '
              f'change {diff:.1e}, output std {before.std():.2e})')
    f_full, p_full = flops_of(full, 224)
    f_pruned, p_pruned = flops_of(pruned, 224)
    print(f'FLOPs: unpruned {f_full / 1e9:.2f} G, pruned '
          f'{f_pruned / 1e9:.2f} G ({100 * f_pruned / f_full:.1f} %); '
          f'params {p_full / 1e6:.1f} M -> {p_pruned / 1e6:.1f} M; ONNX '
          f'Runtime, {args.threads} thread(s)')
    worst = 0.0
    print('| batch | unpruned ms (min-max) | pruned ms (min-max) | ratio |')
    print('|---:|---:|---:|---:|')
    for bs in (1, 32):
        x = torch.rand(bs, 3, 224, 224)
        iters = args.iters if bs == 1 else max(3, args.iters // 3)
        with tempfile.TemporaryDirectory() as d:
            ra = ort_session(Tensor(full), x, d, 'full', args.threads)
            rb = ort_session(Tensor(pruned), x, d, 'pruned', args.threads)
            ta, tb = time_pair(ra, rb, iters)
        a, b = statistics.median(ta), statistics.median(tb)
        worst = max(worst, b / a)
        print(
            f'| {bs} | {1e3 * a:.1f} ({1e3 * min(ta):.1f}-'
            f'{1e3 * max(ta):.1f}) | {1e3 * b:.1f} ({1e3 * min(tb):.1f}-'
            f'{1e3 * max(tb):.1f}) | {b / a:.2f} |',
            flush=True)
    print(f'ratio={worst:.2f}')


if __name__ == '__main__':
    main()
