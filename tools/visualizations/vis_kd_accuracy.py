# Copyright (c) OpenMMLab. All rights reserved.
"""Plot the student's and the teacher's validation accuracy per epoch of a
distillation run, from its scalar log.

    python tools/visualizations/vis_kd_accuracy.py \
        work_dirs/<kd config>/<timestamp>/vis_data/scalars.json \
        --out-file kd_accuracy.png [--metric accuracy/top1]

The log is MMEngine's JSON-lines scalar log; the teacher's metrics are the
``teacher.``-prefixed ones written by ``SingleTeacherDistillValLoop``.
"""
import argparse

from mmrazor.utils.cli import ToolError, run_tool


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Plot student/teacher accuracy per epoch of a KD run')
    parser.add_argument('log', help='vis_data/scalars.json of the run')
    parser.add_argument(
        '--out-file', default='kd_accuracy.png', help='the PNG to write')
    parser.add_argument(
        '--metric', default='accuracy/top1', help='the student metric')
    parser.add_argument('--title', default=None, help='plot title')
    return parser.parse_args(argv)


def main(argv=None):
    from mmrazor.visualization import plot_kd_accuracy, read_val_metrics
    args = parse_args(argv)
    if not args.out_file.lower().endswith('.png'):
        raise ToolError(f'--out-file must be a .png, got {args.out_file!r}')
    try:
        steps, student, teacher = read_val_metrics(args.log, args.metric)
    except ValueError as e:
        raise ToolError(str(e)) from e
    plot_kd_accuracy(steps, student, teacher, args.out_file, args.metric,
                     args.title)
    for step, s, t in zip(steps, student, teacher):
        print(f'epoch {step}: student {s:.2f}  teacher {t:.2f}')
    print(f'plot: {args.out_file}')
    return steps, student, teacher


if __name__ == '__main__':
    run_tool(main)
