# Copyright (c) OpenMMLab. All rights reserved.
"""MMEngine's local file backend, writing through :func:`atomic_open`.

MMEngine writes checkpoints (``CheckpointHook`` -> ``Runner.
save_checkpoint`` -> ``save_checkpoint``) and ``mmengine.fileio.dump``
output with ``LocalBackend.put`` / ``put_text``, which open the final name
directly: a run killed while writing leaves a truncated ``epoch_N.pth``.
Importing :mod:`mmrazor.engine` registers this backend for local paths, so
that every such file is written to a temporary name and renamed.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend

from mmrazor.utils import atomic_open


class AtomicLocalBackend(LocalBackend):
    """A :class:`LocalBackend` whose writes are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` through a temporary file.

        Args:
            obj (bytes): Data to be written.
            filepath (str or Path): Path to write data.
        """
        with atomic_open(filepath, 'wb') as f:
            f.write(obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` through a temporary file.

        Args:
            obj (str): Data to be written.
            filepath (str or Path): Path to write data.
            encoding (str): The encoding format. Defaults to 'utf-8'.
        """
        with atomic_open(filepath, 'w', encoding=encoding) as f:
            f.write(obj)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
