# Copyright (c) OpenMMLab. All rights reserved.
"""The config sweep's closing count: configs built / skipped (with the
reason) / failed."""
import collections

SWEEP = 'test_config_sweep.py::test_config_builds'


def pytest_terminal_summary(terminalreporter):
    counts = collections.Counter()
    reasons = collections.Counter()
    for outcome in ('passed', 'skipped', 'failed', 'error'):
        for report in terminalreporter.stats.get(outcome, []):
            if SWEEP not in getattr(report, 'nodeid', ''):
                continue
            if report.when != 'call' and outcome == 'passed':
                continue
            if ('sweep', 'parsed') in report.user_properties:
                counts['parsed'] += 1
                continue
            counts[outcome] += 1
            if outcome == 'skipped':
                message = str(report.longrepr[-1])
                message = message.split('Skipped: ', 1)[-1]
                reasons[message.split(' (not installed)')[0]] += 1
    if not counts:
        return
    terminalreporter.write_sep('-', 'config sweep')
    terminalreporter.write_line(
        f"configs built: {counts['passed']}, skipped: {counts['skipped']}, "
        f"failed: {counts['failed'] + counts['error']}, parsed only "
        f"(partial configs without a model): {counts['parsed']}")
    for reason, n in sorted(reasons.items()):
        terminalreporter.write_line(f'  skipped {n}: {reason}')
