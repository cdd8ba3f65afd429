# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any, Callable

from mmrazor.registry import TASK_UTILS
from .function_outputs_recorder import FunctionOutputsRecorder
from .method_inputs_recorder import bind_inputs


@TASK_UTILS.register_module()
class FunctionInputsRecorder(FunctionOutputsRecorder):
    """Record the inputs of a module-level function.

    Each record is the tuple of the call's arguments in signature order
    (defaults filled in). As for :class:`FunctionOutputsRecorder`, give the
    path of the module where the function is used.

    Args:
        source (str): ``'pkg.module.function'``.
    """

    def record(self, origin: Callable, args: tuple, kwargs: dict,
               outputs: Any) -> None:
        """Append the inputs of one call."""
        self.data_buffer.append(bind_inputs(origin, args, kwargs, False))
