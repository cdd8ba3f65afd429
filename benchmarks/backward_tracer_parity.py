# Copyright (c) OpenMMLab. All rights reserved.
"""BackwardTracer against FxTracer in the channel analysis.

For every model of ``channel_analysis_coverage.py``: analysis time with
each tracer (no pruned-forward check), units found, unsupported ops, and
whether both find the same channel groups (names and channels). The FX
column is the torch.fx symbolic trace (``symbolic_trace=True``); the
eager column is the default graph of ``tracer_type='FxTracer'`` (one
eager forward, see ``EagerTracer``), checked for the same units as FX.
Last line: ``models=<n> analysed=<n> same_units=<n> same_eager=<n>
ratio=<worst backward/fx time>``; the exit code is non-zero if a model
raised or the units differ.

    python benchmarks/backward_tracer_parity.py [--only resnet18,...]
        [--size 64]
"""
import argparse
import os.path as osp
import sys
import time


def _groups(result):
    return {
        name:
        sorted((c['name'], c['start'], c['end'], c['is_output_channel'])
               for k in ('input_related', 'output_related')
               for c in cfg['channels'][k])
        for name, cfg in result.items()
    }


def run_one(build, size):
    from mmrazor.models.task_modules.tracer import ChannelAnalyzer
    model, shape = build()
    model.eval()
    if size:
        shape = tuple(shape[:2]) + (size, size)
    demo = dict(type='mmrazor.DefaultDemoInput', input_shape=shape)
    row = {}
    for key, tracer_type, symbolic in (('fx', 'FxTracer',
                                        True), ('eager', 'FxTracer', False),
                                       ('bw', 'BackwardTracer', False)):
        start = time.perf_counter()
        result = ChannelAnalyzer(
            demo_input=demo,
            tracer_type=tracer_type,
            check_forward=False,
            symbolic_trace=symbolic).analyze(model)
        row[key] = (time.perf_counter() - start, result)
    fx, bw, eager = row['fx'][1], row['bw'][1], row['eager'][1]
    return dict(
        fx_time=row['fx'][0],
        bw_time=row['bw'][0],
        eager_time=row['eager'][0],
        same_eager=_groups(fx) == _groups(eager),
        fx_units=len(fx),
        bw_units=len(bw),
        fx_unsupported=len(fx.report.unsupported),
        bw_unsupported=len(bw.report.unsupported),
        same=_groups(fx) == _groups(bw))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--only', default='')
    parser.add_argument(
        '--size', type=int, default=0, help='square input size override')
    args = parser.parse_args()
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from channel_analysis_coverage import (MODELS_TO_TEST, run_table,
                                           select_models)
    names = select_models(args.only)
    print('| model | fx s | backward s | backward/fx | fx units | '
          'backward units | fx / backward unsupported | same units | '
          'eager s | eager same units |')
    print('|---|---:|---:|---:|---:|---:|---|---|---:|---|')
    rows, failed = run_table(
        names, lambda name: run_one(MODELS_TO_TEST[name], args.size),
        lambda name, r:
        (f"| {name} | {r['fx_time']:.2f} | {r['bw_time']:.2f} | "
         f"{r['bw_time'] / r['fx_time']:.2f} | {r['fx_units']} | "
         f"{r['bw_units']} | {r['fx_unsupported']} / "
         f"{r['bw_unsupported']} | {'yes' if r['same'] else 'NO'} | "
         f"{r['eager_time']:.2f} | {'yes' if r['same_eager'] else 'NO'} |"))
    same = sum(r['same'] for r in rows)
    same_eager = sum(r['same_eager'] for r in rows)
    ratio = max((r['bw_time'] / r['fx_time'] for r in rows), default=0.0)
    print(f'models={len(names)} analysed={len(rows)} same_units={same} '
          f'same_eager={same_eager} ratio={ratio:.2f}')
    if failed or same != len(rows) or same_eager != len(rows):
        sys.exit(1)


if __name__ == '__main__':
    main()
