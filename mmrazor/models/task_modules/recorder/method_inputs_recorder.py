# Copyright (c) OpenMMLab. All rights reserved.
import inspect
from typing import Any, Callable

from mmrazor.registry import TASK_UTILS
from .method_outputs_recorder import MethodOutputsRecorder


def bind_inputs(origin: Callable, args: tuple, kwargs: dict,
                skip_first: bool) -> tuple:
    """All arguments of one call in signature order (defaults applied)."""
    try:
        signature = inspect.signature(origin)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = []
        for name, param in signature.parameters.items():
            value = bound.arguments[name]
            if param.kind == param.VAR_POSITIONAL:
                values.extend(value)
            elif param.kind == param.VAR_KEYWORD:
                values.extend(value.values())
            else:
                values.append(value)
    except (TypeError, ValueError):
        values = list(args) + list(kwargs.values())
    if skip_first and values:
        values = values[1:]
    return tuple(values)


@TASK_UTILS.register_module()
class MethodInputsRecorder(MethodOutputsRecorder):
    """Record the inputs of a class method.

    Each record is the tuple of the call's arguments in the order of the
    method's signature (``self`` excluded, defaults filled in), so
    ``get_record_data(data_idx=i)`` is the i-th argument.

    Args:
        source (str): ``'pkg.module.Class.method'``.
    """

    def record(self, origin: Callable, args: tuple, kwargs: dict,
               outputs: Any) -> None:
        """Append the inputs of one call."""
        raw = self.owner.__dict__.get(self.attr_name) \
            if isinstance(self.owner, type) else None
        skip_first = not isinstance(raw, staticmethod)
        self.data_buffer.append(bind_inputs(origin, args, kwargs, skip_first))
