# Copyright (c) OpenMMLab. All rights reserved.
"""Shared plumbing of the command-line tools in ``tools/``.

User errors (a missing or broken config, an unknown ``type``, a missing
optional package, an unsafe checkpoint) are printed as one clear message
without a Python traceback; ``--debug`` (or ``MMRAZOR_DEBUG=1``) shows the
traceback.
"""
import argparse
import os
import os.path as osp
import re
import sys
from typing import Callable, Optional, Sequence

from mmengine.config import Config, ConfigDict, DictAction

DEBUG_ENV = 'MMRAZOR_DEBUG'


class ToolError(Exception):
    """An error caused by the user's input, reported without traceback."""


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug`` and ``--trust-checkpoint`` to a tool's parser."""
    parser.add_argument(
        '--debug',
        action='store_true',
        help='show the full traceback of errors (also MMRAZOR_DEBUG=1)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow loading checkpoints that need full unpickling '
        '(torch.load(weights_only=False)); only for files you trust')


class _CfgOptionsAction(DictAction):
    """:class:`DictAction` that rejects an item without ``=`` clearly."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            if '=' not in item:
                parser.error(f'{option_string}: {item!r} is not a '
                             'key=value pair (expected e.g. '
                             'train_cfg.max_epochs=1)')
        super().__call__(parser, namespace, values, option_string)


def add_cfg_options_arg(parser: argparse.ArgumentParser) -> None:
    """Add the usual ``--cfg-options key=value`` argument."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=_CfgOptionsAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')


def add_launcher_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--launcher`` and ``--local_rank``/``--local-rank``."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank, older ones --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def export_local_rank(args: argparse.Namespace) -> None:
    """Set ``LOCAL_RANK`` from ``--local_rank`` unless a launcher did."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)


def set_work_dir(cfg: Config, work_dir: Optional[str], config: str) -> None:
    """``cfg.work_dir``: the CLI value, else the config's, else
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    check_work_dir(str(cfg.work_dir))


def check_work_dir(work_dir: str) -> None:
    """Create ``work_dir`` or raise a :class:`ToolError` saying why not.

    Args:
        work_dir (str): The directory the run writes to.
    """
    try:
        os.makedirs(work_dir, exist_ok=True)
    except OSError as e:
        raise ToolError(f'cannot create the work dir {work_dir!r}: '
                        f'{e.strerror or e}; expected a writable directory '
                        '(--work-dir or work_dir in the config)') from e
    if not os.access(work_dir, os.W_OK | os.X_OK):
        raise ToolError(f'the work dir {work_dir!r} is not writable; '
                        'expected a writable directory (--work-dir or '
                        'work_dir in the config)')


# what a component raises when its config is wrong (bad argument names,
# values or types); raised while building, they are config errors
_BUILD_ERRORS = (TypeError, ValueError, KeyError, AttributeError,
                 IndexError, NotImplementedError)


def build_runner(cfg: Config, loop: Optional[str] = None):
    """MMEngine's ``Runner``, or the registered ``runner_type``.

    Errors of the components built from the config (model, loop, ...)
    become a :class:`ToolError` that names the component and the key.

    Args:
        cfg (Config): The config.
        loop (str, optional): ``'train'``, ``'val'`` or ``'test'``: build
            that loop now, so its config errors are reported before the
            run starts. Defaults to None.

    Returns:
        Runner: The runner.
    """
    from mmrazor.registry.build_errors import translate_key_error
    try:
        if 'runner_type' not in cfg:
            from mmengine.runner import Runner
            runner = Runner.from_cfg(cfg)
        else:
            from mmrazor.registry import RUNNERS
            runner = RUNNERS.build(cfg)
        if loop is not None:
            attr = f'_{loop}_loop'
            built = getattr(runner, f'build_{loop}_loop')(
                getattr(runner, attr))
            setattr(runner, attr, built)
    except _BUILD_ERRORS as e:
        if translate_key_error(e) is not None:
            raise
        raise ToolError(
            f'invalid config: {_message(e)}{explain_init_error(e)}') from e
    return runner


def explain_init_error(exc: BaseException) -> str:
    """The accepted arguments of ``Cls`` for ``Cls.__init__() got an
    unexpected keyword argument 'x'`` (found in the registries).

    Args:
        exc (BaseException): Any error.

    Returns:
        str: ``' (expected one of: ...)'`` or ``''``.
    """
    match = _UNEXPECTED_ARG.search(str(exc))
    if match is None:
        return ''
    cls = _registered_class(match['cls'])
    if cls is None:
        return ''
    import inspect
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return ''
    names = [
        n for n, p in params.items() if n != 'self' and p.kind in (
            p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    return f' (expected one of: {", ".join(names)})' if names else ''


_UNEXPECTED_ARG = re.compile(
    r'(?P<cls>\w+)\.__init__\(\) got an unexpected keyword argument')


def _registered_class(name: str):
    """The class called ``name`` in any MMEngine registry (or None)."""
    import mmengine.registry as mmengine_registry
    from mmengine.registry import Registry
    todo = [
        r for r in vars(mmengine_registry).values()
        if isinstance(r, Registry)
    ]
    seen = set()
    while todo:
        reg = todo.pop()
        if id(reg) in seen:
            continue
        seen.add(id(reg))
        for obj in reg.module_dict.values():
            if getattr(obj, '__name__', None) == name:
                return obj
        todo.extend(reg.children.values())
    return None


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options`` into it.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``key=value`` overrides.

    Returns:
        Config: The merged config.

    Raises:
        ToolError: The file does not exist, does not parse, or an override
            does not apply; the message names the file or key.
    """
    if not osp.isfile(path):
        raise ToolError(f'config file {path!r} does not exist')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        raise ToolError(f'cannot parse config {path!r}: {e.msg} '
                        f'(line {e.lineno})') from e
    except FileNotFoundError as e:
        raise ToolError(f'cannot load config {path!r}: {e}') from e
    except Exception as e:  # mmengine raises many kinds
        raise ToolError(f'cannot load config {path!r}: '
                        f'{type(e).__name__}: {e}') from e
    if cfg_options:
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as e:
            raise ToolError(f'cannot apply --cfg-options {cfg_options}: '
                            f'{type(e).__name__}: {e}') from e
    return cfg


def add_checkpoint_state_hook(cfg: Config) -> None:
    """Append ``mmrazor.CheckpointStateHook`` to ``custom_hooks`` once."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    names = {str(h.get('type', '')).split('.')[-1] for h in hooks}
    if 'CheckpointStateHook' not in names:
        hooks.append(ConfigDict(type='mmrazor.CheckpointStateHook'))
    cfg.custom_hooks = hooks


def adapt_distributed_to_cpu(cfg: Config, launcher: str) -> None:
    """Make a multi-process run work on machines without GPUs.

    With no CUDA device, the ``nccl`` backend becomes ``gloo``, the DDP
    wrapper gets ``device_ids=None`` (DDP rejects device ids for CPU
    modules) and, for the ``pytorch`` launcher, the process group is
    initialised here (MMEngine's ``init_dist`` calls
    ``torch.cuda.set_device`` unconditionally).

    Args:
        cfg (Config): The config, changed in place.
        launcher (str): The ``--launcher`` value.
    """
    if launcher == 'none':
        return
    import torch
    if torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg', None)
    from mmengine.registry import MODEL_WRAPPERS
    from torch.nn.parallel import DistributedDataParallel
    wrapper_type = (wrapper or {}).get('type', 'MMDistributedDataParallel')
    cls = MODEL_WRAPPERS.get(wrapper_type) if isinstance(wrapper_type,
                                                         str) else wrapper_type
    if cls is not None and issubclass(cls, DistributedDataParallel):
        wrapper = ConfigDict(wrapper or {})
        wrapper.setdefault('type', wrapper_type)
        wrapper.setdefault('device_ids', None)
        if 'find_unused_parameters' not in wrapper and \
                'find_unused_parameters' in cfg:
            wrapper['find_unused_parameters'] = cfg.find_unused_parameters
        cfg.model_wrapper_cfg = wrapper
    import torch.distributed as torch_dist
    if launcher == 'pytorch' and not torch_dist.is_initialized():
        kwargs = {k: v for k, v in dist_cfg.items() if k != 'backend'}
        if isinstance(kwargs.get('timeout'), (int, float)):
            import datetime
            kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
        torch_dist.init_process_group(backend=dist_cfg['backend'], **kwargs)


def _user_error_message(exc: BaseException) -> Optional[str]:
    from mmrazor.registry.build_errors import translate_key_error
    if isinstance(exc, ToolError):
        return str(exc)
    better = translate_key_error(exc)
    if better is not None:
        return str(better)
    from mmrazor.engine.runner.checkpoint import (InvalidCheckpointError,
                                                  UnsafeCheckpointError)
    if isinstance(exc, (UnsafeCheckpointError, InvalidCheckpointError)):
        return str(exc)
    if isinstance(exc, ImportError) and 'pip install' in str(exc):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return str(exc)
    if type(exc).__name__ == 'NonFiniteLossError':
        return str(exc)
    if isinstance(exc, (TypeError, ValueError, KeyError, AttributeError,
                        RuntimeError)) and _BUILT_FROM_CFG.match(
                            _message(exc)):
        # raised while building a registered component from the config:
        # MMEngine's build_from_cfg prefixes the class and its module
        return 'invalid config: ' + _message(exc)
    return None


# ``class `X` in a/b.py: ...`` (see mmengine.registry.build_from_cfg)
_BUILT_FROM_CFG = re.compile(r'class `[\w.]+` in [\w/.]+')


def _message(exc: BaseException) -> str:
    """The text of an exception (``KeyError`` without the quotes)."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 and \
            isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


def run_tool(main: Callable[[], None],
             argv: Optional[Sequence[str]] = None) -> None:
    """Run a tool's ``main`` and report user errors without traceback.

    Args:
        main (Callable): The tool's entry point.
        argv (Sequence[str], optional): Defaults to ``sys.argv``.
    """
    argv = sys.argv if argv is None else argv
    debug = '--debug' in argv or os.environ.get(DEBUG_ENV, '') not in ('', '0')
    if '--trust-checkpoint' in argv:
        from mmrazor.engine.runner.checkpoint import TRUST_ENV
        os.environ[TRUST_ENV] = '1'
    try:
        main()
    except Exception as exc:
        message = _user_error_message(exc)
        if debug or message is None:
            raise
        tool = osp.basename(argv[0]) if argv else 'mmrazor'
        print(
            f'{tool}: error: {message}\n(run with --debug for the '
            'traceback)',
            file=sys.stderr)
        sys.exit(2)
