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


def run_python_blocks(page):
    """Execute the ``python`` blocks of a Markdown page in order, in one
    namespace, and return the namespace."""
    text = open(osp.join(DOCS, page)).read()
    blocks = re.findall(r'```python\n(.*?)```', text, re.S)
    assert blocks, f'{page} has no python block'
    namespace = {'__name__': 'docs_' + osp.basename(page)[:-3]}
    for block in blocks:
        exec(compile(block, page, 'exec'), namespace)
    return namespace, len(blocks)


def test_mutables_and_mutators_guide_python_blocks_run():
    ns, num_blocks = run_python_blocks(
        'advanced_guides/mutables_and_mutators.md')
    assert num_blocks >= 10
    assert ns['op'].choices == ['conv3x3']
    assert ns['doubled'].current_choice == 10
    assert ns['hidden'].current_choice == 16
    # alias keys group, module-path keys stay per module
    assert sorted(ns['subnet']) == ['block3', 'shared']
    groups = ns['mutator'].search_groups
    assert {
        k: len(v)
        for k, v in groups.items()
    } == dict(
        module_0=2, module_1=1)
    with open(ns['yaml_path']) as f:
        assert 'chosen: identity' in f.read()
    assert ns['subnet_model'].block2.choices == ['identity']
    assert ns['other'].block3.choices == ['conv5x5']
    pruned = ns['pruned']
    assert (pruned.conv1.out_channels, pruned.conv2.out_channels) == (8, 16)
    assert pruned.fc.in_features == 16


def test_delivery_and_recorders_guide_python_blocks_run():
    import torch
    patched = (torch.nn.Dropout, 'forward'), (torch, 'rand_like'), \
        (torch.nn.functional, 'relu'), (torch.nn.Linear, 'forward')
    originals = [getattr(owner, name) for owner, name in patched]
    ns, num_blocks = run_python_blocks(
        'advanced_guides/delivery_and_recorders.md')
    assert num_blocks >= 7
    assert ns['conv_out'].shape == (2, 4, 8, 8)
    assert ns['fc_in'].shape == (2, 4)
    assert len(ns['recorder'].data_buffer) == 2
    assert 'convv' in ns['message']
    assert torch.equal(ns['teacher_inputs'], ns['student_inputs'])
    assert len(ns['deliveries']) == 1
    # the recorders and deliveries restored what they patched
    for (owner, name), origin in zip(patched, originals):
        assert getattr(owner, name) is origin, name
    loss = ns['losses']['loss_kl']
    assert loss.dim() == 0 and loss.item() >= 0


TRAIN_AND_TEST = osp.join('user_guides', 'train_and_test.md')


def test_train_and_test_names_existing_tools_and_configs():
    text = open(osp.join(DOCS, TRAIN_AND_TEST)).read()
    paths = set(
        re.findall(r'(?<![\w/])((?:tools|configs)/[\w./-]+\.(?:py|sh))', text))
    assert any(p.startswith('configs/distill/') for p in paths)
    assert any(p.startswith('configs/nas/') for p in paths)
    assert any(p.startswith('configs/pruning/') for p in paths)
    assert {'tools/train.py', 'tools/test.py', 'tools/dist_train.sh'} <= paths
    missing = sorted(p for p in paths if not osp.isfile(osp.join(REPO, p)))
    assert not missing, missing
    for command in shell_commands(TRAIN_AND_TEST):
        named = [
            a for a in shlex.split(command)
            if re.match(r'(tools|configs)/.*\.(py|sh)$', a)
        ]
        assert named, command
        for path in named:
            assert osp.isfile(osp.join(REPO, path)), (command, path)


@pytest.mark.slow
def test_train_and_test_cheap_commands_run():
    commands = shell_commands(TRAIN_AND_TEST)
    cheap = [c for c in commands if re.search(r'(print_config\.py|--help)', c)]
    assert len(cheap) >= 7, cheap
    for command in cheap:
        argv = shlex.split(command)
        assert argv[0] == '.venv/bin/python', command
        argv[0] = sys.executable
        out = subprocess.run(
            argv, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (command, out.stderr[-2000:])
        if '--help' in argv:
            assert 'usage:' in out.stdout, command
        else:
            assert 'model = dict(' in out.stdout, command
        if 'train_cfg.max_epochs=2' in command:
            assert 'max_epochs=2' in out.stdout, command
