# Copyright (c) OpenMMLab. All rights reserved.
import functools
from abc import ABCMeta
from collections import deque
from typing import Any, Callable, Optional

from ..recorder.utils import AttrPatcher, import_attr_owner


class DistillDelivery(metaclass=ABCMeta):
    """Deliver the outputs of a function or method from the teacher forward
    to the student forward.

    With ``override_data=False`` (record mode, the teacher forward) the
    wrapped callable runs normally and each output is queued. With
    ``override_data=True`` (override mode, the student forward) the callable
    is not run: each call returns the oldest queued output (first in, first
    out). The callable is patched only while the context is entered and is
    restored on exit, also when an exception is raised.

    Entering the context in record mode drops whatever is still queued from
    an earlier step, so that an unconsumed output never leaks into the next
    iteration.

    Args:
        max_keep_data (int): How many outputs one teacher forward may queue.
            Defaults to 1.
    """

    MIN_DOTS = 1

    def __init__(self, max_keep_data: int = 1) -> None:
        if not isinstance(max_keep_data, int) or max_keep_data < 1:
            raise ValueError('max_keep_data must be a positive int, but got '
                             f'{max_keep_data!r}')
        self._override_data = False
        self.max_keep_data = max_keep_data
        self.data_queue: deque = deque()
        self._patcher: Optional[AttrPatcher] = None
        self.owner: Any = None
        self.attr_name: Optional[str] = None

    @property
    def path(self) -> str:
        """str: The import path of the delivered callable."""
        raise NotImplementedError

    @property
    def override_data(self) -> bool:
        """bool: Override mode (student) if True, record mode if False."""
        return self._override_data

    @override_data.setter
    def override_data(self, override: bool) -> None:
        self._override_data = bool(override)

    def _resolve(self) -> None:
        self.owner, self.attr_name, origin = import_attr_owner(
            self.path, self.MIN_DOTS,
            type(self).__name__)
        if not callable(origin):
            raise TypeError(f'{type(self).__name__}: {self.path!r} is not '
                            'callable')
        self._patcher = AttrPatcher(self.owner, self.attr_name)

    def deliver_wrapper(self, origin: Callable) -> Callable:
        """Wrap ``origin`` with the record/override behaviour."""

        @functools.wraps(origin)
        def wrapper(*args, **kwargs):
            if self.override_data:
                if not self.data_queue:
                    raise RuntimeError(
                        f'{type(self).__name__}({self.path!r}): nothing to '
                        'deliver. The student called it more often than '
                        'the teacher did (run the teacher with '
                        'override_data=False first).')
                return self.data_queue.popleft()
            outputs = origin(*args, **kwargs)
            if len(self.data_queue) >= self.max_keep_data:
                raise RuntimeError(
                    f'{type(self).__name__}({self.path!r}): called more '
                    f'than max_keep_data={self.max_keep_data} times in one '
                    'recording; raise max_keep_data.')
            self.data_queue.append(outputs)
            return outputs

        return wrapper

    def __enter__(self) -> 'DistillDelivery':
        if self._patcher is None:
            self._resolve()
        if not self.override_data:
            self.data_queue.clear()
        self._patcher.patch(self.deliver_wrapper)
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self._patcher.restore()

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.path!r}, '
                f'max_keep_data={self.max_keep_data})')
