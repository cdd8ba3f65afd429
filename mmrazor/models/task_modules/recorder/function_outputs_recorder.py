# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.registry import TASK_UTILS
from .method_outputs_recorder import MethodOutputsRecorder


@TASK_UTILS.register_module()
class FunctionOutputsRecorder(MethodOutputsRecorder):
    """Record the outputs of a module-level function.

    The function is patched in the module given by the path while the
    context is entered. Patch it where it is *used*: a function imported
    with ``from a.b import f`` into ``c.d`` must be recorded as
    ``'c.d.f'``, not ``'a.b.f'``.

    Args:
        source (str): ``'pkg.module.function'``.

    Examples:
        >>> r = FunctionOutputsRecorder('toy_module.toy_func')
        >>> r.initialize()
        >>> with r:
        ...     out = toy_module.toy_func()
        >>> r.data_buffer == [out]
        True
    """

    MIN_DOTS = 1
