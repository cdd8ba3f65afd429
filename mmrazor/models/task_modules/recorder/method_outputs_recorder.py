# Copyright (c) OpenMMLab. All rights reserved.
import functools
from typing import Any, Callable, Optional

from torch import nn

from mmrazor.registry import TASK_UTILS
from .base_recorder import BaseRecorder
from .utils import AttrPatcher, import_attr_owner


@TASK_UTILS.register_module()
class MethodOutputsRecorder(BaseRecorder):
    """Record the outputs of a class method.

    The method is monkey-patched on its class while the recorder context is
    entered, and restored when it exits (also when an exception is raised
    inside the context). Every call on any instance is recorded.

    Args:
        source (str): Import path of the method,
            ``'pkg.module.Class.method'``.

    Examples:
        >>> r = MethodOutputsRecorder('toy_module.Toy.toy_func')
        >>> r.initialize()
        >>> with r:
        ...     out = toy_module.Toy().toy_func()
        >>> r.get_record_data() == out
        True
    """

    MIN_DOTS = 2

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.owner: Any = None
        self.attr_name: Optional[str] = None
        self._patcher: Optional[AttrPatcher] = None

    def prepare_from_model(self, model: Optional[nn.Module] = None) -> None:
        """Import the owner of the source and check the attribute."""
        self.owner, self.attr_name, origin = import_attr_owner(
            self.source, self.MIN_DOTS,
            type(self).__name__)
        if not callable(origin):
            raise TypeError(f'{type(self).__name__}: {self.source!r} is not'
                            ' callable')
        self._patcher = AttrPatcher(self.owner, self.attr_name)

    def record(self, origin: Callable, args: tuple, kwargs: dict,
               outputs: Any) -> None:
        """Append the outputs of one call."""
        self.data_buffer.append(outputs)

    def make_wrapper(self, origin: Callable) -> Callable:
        """Wrap ``origin`` so that its calls are recorded."""

        @functools.wraps(origin)
        def wrapper(*args, **kwargs):
            outputs = origin(*args, **kwargs)
            if self.recording:
                self.record(origin, args, kwargs, outputs)
            return outputs

        return wrapper

    def __enter__(self) -> 'MethodOutputsRecorder':
        if not self.initialized:
            self.initialize()
        super().__enter__()
        self._patcher.patch(self.make_wrapper)
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        super().__exit__(exc_type, exc_value, traceback)
        self._patcher.restore()
