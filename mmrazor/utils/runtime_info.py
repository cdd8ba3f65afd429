# Copyright (c) OpenMMLab. All rights reserved.
import math
from typing import Any, Dict

from mmengine import Config, MessageHub


class RuntimeInfo:
    """Read the training progress from the current :class:`MessageHub`.

    The runner writes ``epoch``, ``iter``, ``max_epochs``, ``max_iters``,
    ``cfg`` and ``work_dir`` into the message hub; these accessors read them.
    """

    @classmethod
    def get_info(cls, info_name: str) -> Any:
        """The runtime value ``info_name`` of the current message hub."""
        hub = MessageHub.get_current_instance()
        if info_name not in hub.runtime_info:
            raise KeyError(f'{info_name!r} is not in the MessageHub\'s '
                           f'runtime info (has: {list(hub.runtime_info)}); '
                           'is a runner running?')
        return hub.get_info(info_name)

    @classmethod
    def epoch(cls) -> int:
        """Current epoch (0-based)."""
        return cls.get_info('epoch')

    @classmethod
    def max_epochs(cls) -> int:
        """Total number of epochs."""
        return cls.get_info('max_epochs')

    @classmethod
    def iter(cls) -> int:
        """Current iteration (0-based)."""
        return cls.get_info('iter')

    @classmethod
    def max_iters(cls) -> int:
        """Total number of iterations."""
        return cls.get_info('max_iters')

    @classmethod
    def iter_by_epoch(cls) -> int:
        """Iteration inside the current epoch."""
        return cls.iter() % cls.iter_pre_epoch()

    @classmethod
    def iter_pre_epoch(cls) -> int:
        """Iterations per epoch (``max_iters / max_epochs``)."""
        return math.ceil(cls.max_iters() / cls.max_epochs())

    @classmethod
    def config(cls) -> Dict:
        """The running config as a dict."""
        cfg = cls.get_info('cfg')
        if isinstance(cfg, str):
            cfg = Config.fromstring(cfg, '.py')
        return dict(cfg)

    @classmethod
    def work_dir(cls) -> str:
        """The work directory of the running experiment."""
        return cls.config()['work_dir']
