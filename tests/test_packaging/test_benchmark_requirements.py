# Copyright (c) OpenMMLab. All rights reserved.
"""The peers ``benchmarks/`` needs install through one command.

``requirements/benchmarks.txt`` pins every third-party module a benchmark
imports that the pinned stack (``requirements/dev-stack.txt`` and what it
pulls in) does not provide; ``tools/setup_env.sh --benchmarks`` installs
it.
"""
import ast
import importlib.metadata as metadata
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BENCH = osp.join(REPO, 'benchmarks')
SETUP = osp.join(REPO, 'tools', 'setup_env.sh')
PIN = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(#.*)?$')


def _canon(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def _pins(path: str) -> dict:
    """``{canonical name: version}`` of a requirements file."""
    pins = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            m = PIN.match(line)
            assert m, f'{path}: {line!r} is not pinned as NAME==VERSION'
            pins[_canon(m.group(1))] = m.group(2)
    return pins


def _imports(path: str) -> set:
    """Top-level names of the absolute imports in a Python file."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split('.')[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split('.')[0])
    return names


def _local_modules() -> set:
    """Module names a file of this repository provides."""
    found = set()
    skip = {'.git', '.venv', 'work_dirs', 'docs', 'tests', 'data'}
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith('.')]
        found.update(f[:-3] for f in files if f.endswith('.py'))
        if '__init__.py' in files:
            found.add(osp.basename(root))
    return found


def _stack_distributions() -> set:
    """The stack's pins and, recursively, what they require."""
    from packaging.requirements import InvalidRequirement, Requirement
    todo = list(_pins(osp.join(REPO, 'requirements', 'dev-stack.txt')))
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for spec in requires:
            try:
                req = Requirement(spec)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({'extra': ''}):
                todo.append(_canon(req.name))
    return seen


def test_benchmark_requirements_are_pinned():
    pins = _pins(osp.join(REPO, 'requirements', 'benchmarks.txt'))
    assert pins.get('torch-pruning') == '1.6.1'


def test_every_third_party_import_of_a_benchmark_is_provided():
    local = _local_modules() | {'mmrazor'}
    stack = _stack_distributions()
    pins = _pins(osp.join(REPO, 'requirements', 'benchmarks.txt'))
    dists = metadata.packages_distributions()
    missing = {}
    for fname in sorted(os.listdir(BENCH)):
        if not fname.endswith('.py'):
            continue
        for mod in _imports(osp.join(BENCH, fname)):
            if mod in sys.stdlib_module_names or mod in local:
                continue
            # an installed module names its distribution(s); one that is
            # not installed here is named after its module
            owners = {_canon(d) for d in dists.get(mod, [])}
            owners = owners or {_canon(mod)}
            if owners & stack or owners & set(pins):
                continue
            missing.setdefault(fname, []).append(mod)
    assert not missing, (
        'benchmarks import modules that neither the stack nor '
        f'requirements/benchmarks.txt provides: {missing}')
    # the peer the channel-analysis benchmark compares against
    assert 'torch_pruning' in _imports(
        osp.join(BENCH, 'channel_analysis_speed.py'))


def test_stack_key_ignores_benchmark_requirements():
    """The stack is keyed by the lock file alone: the peers never enter
    the shared stack."""
    with open(SETUP) as f:
        text = f.read()
    key_line = next(line for line in text.splitlines()
                    if line.startswith('KEY='))
    assert 'LOCK' in key_line and 'benchmarks' not in key_line
    assert 'requirements/benchmarks.txt' in text


@pytest.mark.parametrize('args,rc', [(['--help'], 0), (['-h'], 0),
                                     (['--benchmark'], 2)])
def test_setup_env_options(args, rc, tmp_path):
    # the options are parsed before anything is installed; an empty cache
    # folder shows that nothing was built
    env = dict(os.environ, MMRAZOR_CACHE_DIR=str(tmp_path / 'cache'))
    proc = subprocess.run(['bash', SETUP, *args],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=60)
    assert proc.returncode == rc, proc.stderr
    assert '--benchmarks' in proc.stdout + proc.stderr
    if rc:
        assert "unknown option '--benchmark'" in proc.stderr
    assert not (tmp_path / 'cache').exists()
