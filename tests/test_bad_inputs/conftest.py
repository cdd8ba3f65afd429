# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers of the bad-input corpus: run a tool's ``main`` in-process."""
import importlib.util
import os.path as osp
import sys

import pytest

from bad_input_helpers import REPO

_MODULES = {}


def _load(tool: str):
    """Import ``tools/<tool>`` as a module (once)."""
    if tool not in _MODULES:
        path = osp.join(REPO, 'tools', tool)
        folder = osp.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = 'bad_input_' + tool.replace('/', '_').replace('.py', '')
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[tool] = module
    return _MODULES[tool]


@pytest.fixture
def tool(monkeypatch, capsys):
    """``tool('train.py', *args) -> stderr``; asserts exit code 2 and no
    traceback, as ``python tools/<tool> ...`` would end."""
    from mmrazor.utils.cli import DEBUG_ENV, run_tool
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    monkeypatch.delenv('MMRAZOR_TRUST_CHECKPOINT', raising=False)

    def call(name, *args):
        _rebind_log_streams()
        module = _load(name)
        argv = [osp.join('tools', name), *[str(a) for a in args]]
        monkeypatch.setattr(sys, 'argv', argv)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            run_tool(module.main, argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2, err[-3000:]
        assert 'Traceback' not in err, err[-3000:]
        return err

    return call


def _rebind_log_streams() -> None:
    """Point the console handlers of MMEngine's loggers (which outlive a
    test) at the current, captured, stdout; a stream closed by an earlier
    test's capture would print a logging traceback."""
    import logging

    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.stream = sys.stdout  # setStream flushes the old
