# Copyright (c) OpenMMLab. All rights reserved.
"""Run a benchmark script several times, each in a fresh process, and
print the run-to-run spread of the figures on its last line.

A benchmark's last line is ``key=value ...`` (``ratio=...`` and the
like). ``repeat_runs`` runs the script ``runs`` times with ``--runs 1``,
prints each run's last line, a table of every numeric figure (median,
min, max over the runs; for a count such as ``3/360``, the pooled count)
and, as its own last line, the same keys with the
median of the runs (a non-numeric value such as ``3/360`` is kept when
every run agrees, otherwise the runs' values are joined by commas).

Used by the ``--runs N`` option of the benchmarks, e.g.::

    python benchmarks/kd_overhead.py --runs 3
"""
import argparse
import re
import statistics
import subprocess
import sys
from typing import Callable, Dict, List, Optional, Sequence


def parse_figures(line: str) -> Dict[str, str]:
    """``key=value`` pairs of a benchmark's last line, in order."""
    figures = {}
    for token in line.split():
        key, sep, value = token.partition('=')
        if sep:
            figures[key] = value
    return figures


def _float(value: str):
    try:
        return float(value.rstrip('x%'))
    except ValueError:
        return None


def summarise(lines: Sequence[str]) -> List[str]:
    """Table rows and the final ``key=median`` line of several runs."""
    runs = [parse_figures(line) for line in lines]
    keys = list(runs[0])
    out = [
        '| figure | median | min | max | runs |', '|---|---:|---:|---:|---|'
    ]
    last = []
    for key in keys:
        values = [r.get(key, '') for r in runs]
        nums = [_float(v) for v in values]
        if all(n is not None for n in nums):
            med = statistics.median(nums)
            digits = max(
                len(v.split('.')[1]) if '.' in v else 0 for v in values)
            fmt = f'{{:.{digits}f}}'
            out.append(f'| {key} | {fmt.format(med)} | '
                       f'{fmt.format(min(nums))} | {fmt.format(max(nums))} '
                       f'| {", ".join(values)} |')
            last.append(f'{key}={fmt.format(med)}')
        elif all(re.fullmatch(r'\d+/\d+', v) for v in values):
            # counts out of totals: the pooled count in the median column
            k = sum(int(v.split('/')[0]) for v in values)
            n = sum(int(v.split('/')[1]) for v in values)
            out.append(f'| {key} | pooled {k}/{n} | | | '
                       f'{", ".join(values)} |')
        else:
            out.append(f'| {key} | | | | {", ".join(values)} |')
        if any(n is None for n in nums):
            same = len(set(values)) == 1
            last.append(f'{key}={values[0] if same else ",".join(values)}')
    return out + [' '.join(last)]


def add_runs_argument(parser: argparse.ArgumentParser) -> None:
    """Add the ``--runs N`` option every repeatable benchmark shares.

    Args:
        parser (argparse.ArgumentParser): The benchmark's parser.
    """
    parser.add_argument(
        '--runs',
        type=int,
        default=1,
        help='run the benchmark N times, each in a fresh process, and '
        'print the spread of the figures of its last line')


def repeat_runs(
        script: str,
        argv: Sequence[str],
        runs: int,
        run_args: Optional[Callable[[int], Sequence[str]]] = None) -> int:
    """Run ``script`` ``runs`` times in fresh processes and print the
    spread of the figures on its last line.

    Args:
        script (str): Path of the benchmark script.
        argv (Sequence[str]): Its arguments (``--runs 1`` is appended).
        runs (int): Number of processes, one after another.
        run_args (Callable, optional): Extra arguments of the i-th run
            (from 0), e.g. a different seed per run.

    Returns:
        int: 0, or the exit code of the first run that failed.
    """
    lines = []
    for i in range(runs):
        extra = list(run_args(i)) if run_args else []
        proc = subprocess.run(
            [sys.executable, script, *argv, '--runs', '1', *extra],
            stdout=subprocess.PIPE,
            text=True)
        if proc.returncode:
            sys.stdout.write(proc.stdout)
            print(f'run {i + 1}/{runs} failed with exit code '
                  f'{proc.returncode}')
            return proc.returncode
        out = [line for line in proc.stdout.splitlines() if line.strip()]
        if i == 0:
            print('\n'.join(out[:-1]))
        print(f'run {i + 1}/{runs}: {out[-1]}', flush=True)
        lines.append(out[-1])
    print(f'\n{runs} runs, each in a fresh process:')
    print('\n'.join(summarise(lines)))
    return 0
