# Copyright (c) OpenMMLab. All rights reserved.
"""CPU latency of a static ResNet-50 pruned to ~50 % FLOPs vs unpruned.

The pruned model comes from the L1 ChannelMutator (inner convs of every
bottleneck pruned) exported to a static model; for comparison, a ResNet-50
pruned uniformly (one kept ratio for every unit) to the same FLOPs is
timed too. All are timed in torch and ONNX Runtime at batch 1 and 32,
each pruned model interleaved with the unpruned one. Last line:
``ratio=<worst pruned/unpruned> uniform_ratio=<worst uniform/unpruned>``
followed by each row's ratio (``bs1_torch_pruned=...``).

    python benchmarks/pruned_latency.py [--size 224] [--iters 15] \
        [--threads 1] [--runs 3]

``--runs N`` repeats the whole measurement in N fresh processes and
prints the median, min and max of each figure.
"""
import argparse
import copy
import os
import sys
import tempfile
import time

import torch


class Tensor(torch.nn.Module):

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x, mode='tensor')


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


def _median(xs):
    return sorted(xs)[len(xs) // 2]


def time_pair(run_a, run_b, iters):
    """Median latency of two callables, measured alternately (so that
    load changes on a shared machine hit both alike)."""
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
    return _median(ta), _median(tb)


def torch_runner(model, x):

    def run():
        with torch.no_grad():
            model(x)

    return run


def ort_runner(model, x, d, name):
    import onnxruntime as ort
    path = os.path.join(d, f'{name}.onnx')
    torch.onnx.export(model, (x, ), path, opset_version=17, dynamo=False)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = torch.get_num_threads()
    sess = ort.InferenceSession(path, opts, providers=['CPUExecutionProvider'])
    feed = {sess.get_inputs()[0].name: x.numpy()}
    return lambda: sess.run(None, feed)


def main():
    from repeat_runs import add_runs_argument
    parser = argparse.ArgumentParser()
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--iters', type=int, default=15)
    parser.add_argument(
        '--inner',
        type=float,
        default=0.7,
        help='kept ratio of the inner units (conv1/conv2 of a bottleneck)')
    parser.add_argument(
        '--inner-layer4',
        type=float,
        default=0.85,
        help='kept ratio of the inner units of layer4: at batch 1 torch '
        'runs a 7x7 conv input of under 20480 values (fewer than 418 '
        'channels) on its slow native kernel instead of oneDNN')
    parser.add_argument(
        '--stage',
        type=float,
        default=0.6,
        help='kept ratio of the stage (residual) units')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='CPU threads of torch and ONNX Runtime (1: on a shared '
        'machine, two threads stall whenever the other core is busy)')
    add_runs_argument(parser)
    args = parser.parse_args()
    if args.runs > 1:
        from repeat_runs import repeat_runs
        sys.exit(repeat_runs(__file__, sys.argv[1:], args.runs))
    torch.set_num_threads(args.threads)
    from mmengine.registry import DefaultScope

    from mmrazor.models.mutators import ChannelMutator
    from mmrazor.models.task_modules.estimators import ResourceEstimator
    from mmrazor.registry import MODELS
    from mmrazor.structures.subnet.fix_subnet import _dynamic_to_static
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    cfg = load_upstream_config('mmcls::resnet/resnet50_8xb32_in1k.py')
    with DefaultScope.overwrite_default_scope('mmcls'):
        full = MODELS.build(cfg.model).eval()
    pruned = copy.deepcopy(full)
    mutator_cfg = dict(
        channel_unit_cfg=dict(
            type='L1MutableChannelUnit',
            # multiples of 16 channels suit the AVX-512 conv kernels
            default_args=dict(choice_mode='ratio', divisor=16)),
        parse_cfg=dict(
            type='ChannelAnalyzer',
            demo_input=dict(
                type='DefaultDemoInput',
                input_shape=(1, 3, 64, 64),
                scope='mmcls')))
    mutator = ChannelMutator(**copy.deepcopy(mutator_cfg))
    mutator.prepare_from_supernet(pruned)

    # the inner convs (conv1/conv2 of every bottleneck) and the stages

    def kept(unit):
        if 'conv1_' not in unit and 'conv2_' not in unit:
            return args.stage
        return args.inner_layer4 if 'layer4' in unit else args.inner

    mutator.set_choices({n: kept(n) for n in mutator.choice_template})
    _dynamic_to_static(pruned)
    pruned.eval()
    est = ResourceEstimator(input_shape=(1, 3, args.size, args.size))
    f_full = est.estimate(Tensor(full))['flops']
    f_pruned = est.estimate(Tensor(pruned))['flops']
    # uniform: one kept ratio for every unit, the largest whose FLOPs do
    # not exceed the pruned model's (bisection)
    uniform = copy.deepcopy(full)
    uniform_mutator = ChannelMutator(**copy.deepcopy(mutator_cfg))
    uniform_mutator.prepare_from_supernet(uniform)
    low, high = 0.05, 1.0
    for _ in range(8):
        mid = (low + high) / 2
        uniform_mutator.set_choices(
            {n: mid
             for n in uniform_mutator.choice_template})
        if est.estimate(Tensor(uniform))['flops'] > f_pruned:
            high = mid
        else:
            low = mid
    uniform_mutator.set_choices(
        {n: low
         for n in uniform_mutator.choice_template})
    _dynamic_to_static(uniform)
    uniform.eval()
    f_uniform = est.estimate(Tensor(uniform))['flops']
    print(f'FLOPs: unpruned {f_full:.1f} M, pruned {f_pruned:.1f} M '
          f'({100 * f_pruned / f_full:.1f} %), uniform (kept ratio '
          f'{low:.3f}) {f_uniform:.1f} M ({100 * f_uniform / f_full:.1f} '
          f'%); {args.threads} thread(s)')
    worst = {'pruned': 0.0, 'uniform': 0.0}
    rows = []
    print('| batch | runtime | model | unpruned ms | pruned ms | ratio |')
    print('|---:|---|---|---:|---:|---:|')
    for bs in (1, 32):
        x = torch.rand(bs, 3, args.size, args.size)
        iters = args.iters if bs == 1 else max(3, args.iters // 3)
        with tempfile.TemporaryDirectory() as d:
            for rt in ('torch', 'onnxruntime'):
                ra = torch_runner(Tensor(full), x) if rt == 'torch' else \
                    ort_runner(Tensor(full), x, d, 'full')
                for name, model in (('pruned', pruned), ('uniform', uniform)):
                    rb = torch_runner(Tensor(model), x) if rt == 'torch' \
                        else ort_runner(Tensor(model), x, d, name)
                    a, b = time_pair(ra, rb, iters)
                    worst[name] = max(worst[name], b / a)
                    rows.append(f'bs{bs}_{rt}_{name}={b / a:.2f}')
                    print(
                        f'| {bs} | {rt} | {name} | {1e3 * a:.1f} | '
                        f'{1e3 * b:.1f} | {b / a:.2f} |',
                        flush=True)
    print(f'ratio={worst["pruned"]:.2f} '
          f'uniform_ratio={worst["uniform"]:.2f} ' + ' '.join(rows))


if __name__ == '__main__':
    main()
