# Copyright (c) OpenMMLab. All rights reserved.
"""Crash-safe file writing: write to a temporary name, then rename."""
import contextlib
import os
import os.path as osp
import tempfile
from typing import IO, Callable, Iterator, Union

PathLike = Union[str, 'os.PathLike[str]']


def _default_mode() -> int:
    """The mode ``open(path, 'w')`` would give a new file (``mkstemp``
    creates its files readable by the owner only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path: PathLike,
                mode: str = 'w',
                encoding: str = 'utf-8') -> Iterator[IO]:
    """Open ``path`` for writing so that readers never see a half-written
    file.

    The content goes to a temporary file in the same directory, which
    replaces ``path`` only when the ``with`` block ends without an error.
    On error the temporary file is removed and a previous ``path`` is left
    intact.

    Args:
        path (str | PathLike): The destination file.
        mode (str): ``'w'`` (text) or ``'wb'`` (binary).
        encoding (str): The text encoding, for text mode.

    Yields:
        IO: The open temporary file.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), 'a.txt')
        >>> with atomic_open(path) as f:
        ...     _ = f.write('hello')
        >>> open(path).read()
        'hello'
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_open supports mode 'w' or 'wb', got "
                         f'{mode!r}')
    path = os.fspath(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    suffix = osp.splitext(path)[1] + '.tmp'
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix='.' + osp.basename(path) + '.', suffix=suffix)
    try:
        if mode == 'wb':
            f = os.fdopen(fd, 'wb')
        else:
            f = os.fdopen(fd, 'w', encoding=encoding)
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def atomic_write(path: PathLike, writer: Callable[[str], None]) -> None:
    """Let ``writer`` write a temporary file, then rename it to ``path``.

    For serializers that want a file name rather than a file object
    (``torch.save``, ``onnx.save``, ``mmengine.fileio.dump``,
    ``matplotlib``'s ``savefig``). The temporary name keeps the suffix of
    ``path`` so that format detection by suffix still works.

    Args:
        path (str | PathLike): The destination file.
        writer (Callable[[str], None]): Called with the temporary path.

    Examples:
        >>> import json, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), 'a.json')
        >>> atomic_write(path, lambda p: json.dump([1], open(p, 'w')))
        >>> open(path).read()
        '[1]'
    """
    path = os.fspath(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    suffix = osp.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix='.' + osp.basename(path) + '.', suffix=suffix)
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
