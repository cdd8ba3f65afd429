# Copyright (c) OpenMMLab. All rights reserved.
"""``benchmarks/repeat_runs.py`` (the ``--runs N`` option of the
benchmarks) and the hand-written baselines the benchmarks time."""
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BENCH = osp.join(REPO, 'benchmarks')


@pytest.fixture(scope='module')
def bench_path():
    sys.path.insert(0, BENCH)
    yield
    sys.path.remove(BENCH)


def test_summarise_spread(bench_path):
    from repeat_runs import parse_figures, summarise
    assert parse_figures('speed 3x ratio=1.050 k=3/360') == dict(
        ratio='1.050', k='3/360')
    rows = summarise([
        'ratio=1.050 a=2.50 k=3/360', 'ratio=1.010 a=2.70 k=3/360',
        'ratio=1.030 a=2.40 k=4/360'
    ])
    assert rows[2] == '| ratio | 1.030 | 1.010 | 1.050 | 1.050, 1.010, 1.030 |'
    assert rows[3] == '| a | 2.50 | 2.40 | 2.70 | 2.50, 2.70, 2.40 |'
    assert rows[4] == '| k | pooled 10/1080 | | | 3/360, 3/360, 4/360 |'
    assert rows[-1] == 'ratio=1.030 a=2.50 k=3/360,3/360,4/360'


def test_repeat_runs_fresh_processes(tmp_path):
    # a stand-in benchmark: its figure is the number of earlier runs
    script = tmp_path / 'fake_bench.py'
    count = tmp_path / 'count'
    script.write_text(
        textwrap.dedent(f'''
        import argparse, os, sys
        sys.path.insert(0, {BENCH!r})
        parser = argparse.ArgumentParser()
        parser.add_argument('--runs', type=int, default=1)
        parser.add_argument('--scale', type=float, default=1.0)
        args = parser.parse_args()
        if args.runs > 1:
            from repeat_runs import repeat_runs
            sys.exit(repeat_runs(__file__, sys.argv[1:], args.runs))
        n = len(open({str(count)!r}).read()) if os.path.exists(
            {str(count)!r}) else 0
        open({str(count)!r}, 'a').write('x')
        print('table line')
        print(f'ratio={{args.scale * (1 + n):.2f}} pid={{os.getpid()}}')
        '''))
    proc = subprocess.run(
        [sys.executable,
         str(script), '--runs', '3', '--scale', '0.5'],
        capture_output=True,
        text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == 'table line'  # the first run's report
    assert '| ratio | 1.00 | 0.50 | 1.50 | 0.50, 1.00, 1.50 |' in lines
    pids = [line for line in lines if line.startswith('| pid |')][0]
    assert len(set(pids.split('|')[-2].split(','))) == 3  # 3 processes
    assert lines[-1].startswith('ratio=1.00 pid=')


def test_repeat_runs_reports_a_failed_run(tmp_path):
    script = tmp_path / 'failing.py'
    script.write_text(
        textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {BENCH!r})
        if '--runs' in sys.argv and sys.argv[sys.argv.index('--runs') + 1] \\
                != '1':
            from repeat_runs import repeat_runs
            sys.exit(repeat_runs(__file__, [], 3))
        print('partial output')
        sys.exit(3)
        '''))
    proc = subprocess.run(
        [sys.executable, str(script), '--runs', '3'],
        capture_output=True,
        text=True,
        timeout=60)
    assert proc.returncode == 3
    assert 'run 1/3 failed with exit code 3' in proc.stdout


def test_kd_overhead_cwd_baseline_matches_the_loss(bench_path):
    """The plain step of the feature-KD benchmark computes the same
    ChannelWiseDivergence as the registered loss."""
    from kd_overhead import cwd

    from mmrazor.models.losses import ChannelWiseDivergence
    g = torch.Generator().manual_seed(0)
    s = torch.randn(2, 4, 5, 6, generator=g, requires_grad=True)
    t = torch.randn(2, 4, 5, 6, generator=g)
    ours = ChannelWiseDivergence(tau=2.0, loss_weight=10)(s, t)
    plain = cwd(s, t, tau=2.0, loss_weight=10)
    torch.testing.assert_close(ours, plain)
    g_ours, = torch.autograd.grad(ours, s)
    g_plain, = torch.autograd.grad(plain, s)
    torch.testing.assert_close(g_ours, g_plain)


def test_repeat_runs_per_run_arguments(bench_path, tmp_path, capsys):
    from repeat_runs import repeat_runs
    script = tmp_path / 'seeded.py'
    script.write_text(
        textwrap.dedent('''
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument('--runs', type=int, default=1)
        parser.add_argument('--seed', type=int, default=0)
        args = parser.parse_args()
        assert args.runs == 1
        print(f'seed={args.seed}')
        '''))
    assert repeat_runs(str(script), [], 3,
                       lambda i: ['--seed', str(7 + i)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert '| seed | 8 | 7 | 9 | 7, 8, 9 |' in out
    assert out[-1] == 'seed=8'
