# Copyright (c) OpenMMLab. All rights reserved.
"""Run the embedded end-to-end demo and print one result table.

Stages run in order: ``vanilla`` first (its checkpoint feeds the others),
then every other ``stage_<name>.py`` found beside this file in the order
of ``STAGE_ORDER`` (kd, nas, pruning, quantization).
"""
import argparse
import importlib
import os
import os.path as osp
import sys
import time
import traceback

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from common import REPO, DemoContext, format_table  # noqa: E402

if REPO not in sys.path:
    sys.path.insert(0, REPO)

STAGE_ORDER = ['vanilla', 'kd', 'nas', 'pruning', 'quantization']


def available_stages():
    here = osp.dirname(osp.abspath(__file__))
    return [
        s for s in STAGE_ORDER if osp.exists(osp.join(here, f'stage_{s}.py'))
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    parser.add_argument(
        '--stages',
        nargs='+',
        default=None,
        help=f'stages to run (default: all of {available_stages()})')
    args = parser.parse_args()
    stages = args.stages or available_stages()
    unknown = [s for s in stages if s not in available_stages()]
    if unknown:
        parser.error(f'unknown stage(s) {unknown}; available: '
                     f'{available_stages()}')
    if 'vanilla' not in stages:
        stages = ['vanilla'] + stages
    os.makedirs(args.work_dir, exist_ok=True)
    ctx = DemoContext(work_dir=args.work_dir)
    rows, failed = [], []
    t0 = time.perf_counter()
    for name in stages:
        print(f'[demo] stage {name} ...', flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f'stage_{name}')
            rows.extend(module.run(ctx))
        except Exception:
            failed.append(name)
            traceback.print_exc()
            if name == 'vanilla':
                break
        print(
            f'[demo] stage {name} done in '
            f'{time.perf_counter() - start:.0f} s',
            flush=True)
    print()
    print(format_table(rows))
    print(f'\n[demo] total {time.perf_counter() - t0:.0f} s; work dir '
          f'{args.work_dir}')
    if failed:
        print(f'[demo] FAILED stages: {failed}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
