# Copyright (c) OpenMMLab. All rights reserved.
"""Import cost of ``mmrazor.models`` vs. ``mmengine.model``.

Every sample is a fresh interpreter (``python -X importtime`` is not used:
it slows imports down unevenly); the wall time of ``python -c "import
X"`` is measured for

* ``mmengine.model`` (the baseline: what any MMEngine model code imports),
* ``mmrazor`` alone,
* ``mmrazor.models`` (its subpackages load on first use),
* ``mmrazor.models.all_modules`` (every algorithm and component imported
  and registered: what the registries load on the first ``type`` lookup
  and what ``register_all_modules()`` imports for the models).

The commands run interleaved, in a rotating order, after warm-up
runs (so the file cache is equally warm for all), and the medians are
compared; the spread is the interquartile range over the runs.

Usage::

    python benchmarks/import_time.py [--runs 15] [--warmup 2]

The last line is ``ratio=<mmrazor.models / mmengine.model>`` (target
<= 1.10).
"""
import argparse
import statistics
import subprocess
import sys
import time
from typing import Dict, List

TARGETS = ('mmengine.model', 'mmrazor', 'mmrazor.models',
           'mmrazor.models.all_modules')


def time_import(module: str) -> float:
    """Wall seconds of ``python -c "import module"`` in a fresh process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, '-c', f'import {module}'],
                   check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def quartiles(values: List[float]) -> tuple:
    """``(q1, median, q3)`` of ``values``."""
    if len(values) < 4:
        return min(values), statistics.median(values), max(values)
    q1, q2, q3 = statistics.quantiles(values, n=4)
    return q1, q2, q3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--warmup', type=int, default=2)
    args = parser.parse_args()

    for _ in range(args.warmup):
        for module in TARGETS:
            time_import(module)
    times: Dict[str, List[float]] = {m: [] for m in TARGETS}
    for i in range(args.runs):
        shift = i % len(TARGETS)
        for module in TARGETS[shift:] + TARGETS[:shift]:
            times[module].append(time_import(module))

    width = max(len(m) for m in TARGETS) + 2
    print(f'{"import":<{width}}{"median s":>10}{"q1":>8}{"q3":>8}')
    medians = {}
    for module in TARGETS:
        q1, med, q3 = quartiles(times[module])
        medians[module] = med
        print(f'{module:<{width}}{med:>10.3f}{q1:>8.3f}{q3:>8.3f}')
    base = medians['mmengine.model']
    for module in TARGETS[1:]:
        paired = [
            t / b for t, b in zip(times[module], times['mmengine.model'])
        ]
        q1, med, q3 = quartiles(paired)
        print(f'{module} / mmengine.model: {medians[module] / base:.3f} '
              f'(per-round ratios: median {med:.3f}, IQR {q1:.3f}-{q3:.3f})')
    print(f'ratio={medians["mmrazor.models"] / base:.3f}')


if __name__ == '__main__':
    main()
