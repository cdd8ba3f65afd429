# Copyright (c) OpenMMLab. All rights reserved.
"""The Sphinx (MyST) documentation builds without a warning, API reference
included; the cheap commands of the getting-started page run."""
import importlib.util
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOCS = osp.join(REPO, 'docs', 'en')
MISSING = [
    name for name in ('sphinx', 'myst_parser')
    if importlib.util.find_spec(name) is None
]


@pytest.mark.slow
@pytest.mark.skipif(
    bool(MISSING),
    reason=f'the docs build needs {MISSING} (pip install sphinx '
    'myst-parser)')
def test_docs_build_without_warnings(tmp_path):
    out = subprocess.run([
        sys.executable, '-m', 'sphinx', '-b', 'html', '-W', '--keep-going',
        '-q', DOCS,
        str(tmp_path / 'html')
    ],
                         capture_output=True,
                         text=True,
                         timeout=600,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert not out.stderr.strip(), out.stderr[-3000:]
    api = (tmp_path / 'html' / 'api.html').read_text()
    for name in ('SingleTeacherDistill', 'EvolutionSearchLoop',
                 'OneShotMutableOP', 'RazorVisualizationHook', 'WideResNet',
                 'ResourceEstimator', 'modify'):
        assert name in api, name


def shell_commands(page):
    """The one-line ``bash`` commands of a Markdown page."""
    text = open(osp.join(DOCS, page)).read()
    commands = []
    for block in re.findall(r'```(?:bash|shell)\n(.*?)```', text, re.S):
        joined = block.replace('\\\n', ' ')
        for line in joined.splitlines():
            line = line.strip()
            if line and not line.startswith('#'):
                commands.append(line)
    return commands


@pytest.mark.slow
def test_getting_started_cheap_commands_run():
    commands = shell_commands('get_started.md')
    assert commands, 'get_started.md has no bash block'
    cheap = [
        c for c in commands
        if re.search(r'(print_config\.py|get_flops\.py|--help)', c)
    ]
    assert len(cheap) >= 3, cheap
    for command in cheap:
        argv = shlex.split(command)
        if argv[0].endswith('python'):
            argv[0] = sys.executable
        out = subprocess.run(
            argv, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (command, out.stderr[-2000:])
        assert out.stdout.strip(), command


def test_customize_guide_python_blocks_run():
    text = open(osp.join(DOCS, 'advanced_guides',
                         'customize_algorithms.md')).read()
    blocks = re.findall(r'```python\n(.*?)```', text, re.S)
    assert len(blocks) >= 5
    namespace = {'__name__': 'docs_customize_algorithms'}
    for block in blocks:
        exec(compile(block, 'customize_algorithms.md', 'exec'), namespace)
    loss = namespace['loss']
    assert loss.dim() == 0 and loss.item() > 0
    assert set(namespace['subnet']) == {'block'}
