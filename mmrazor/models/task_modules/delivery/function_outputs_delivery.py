# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.registry import TASK_UTILS
from .distill_delivery import DistillDelivery


@TASK_UTILS.register_module()
class FunctionOutputsDelivery(DistillDelivery):
    """Deliver the outputs of a module-level function.

    Give the path of the module where the function is *used*
    (``'mmdet.models.dense_heads.anchor_head.anchor_inside_flags'``, not the
    module that defines it).

    Args:
        func_path (str): ``'pkg.module.function'``.
        max_keep_data (int): Outputs kept per teacher forward.

    Examples:
        >>> delivery = FunctionOutputsDelivery(
        ...     max_keep_data=1, func_path='toy_module.toy_func')
        >>> delivery.override_data = False
        >>> with delivery:
        ...     teacher = toy_module.toy_func()
        >>> delivery.override_data = True
        >>> with delivery:
        ...     student = toy_module.toy_func()
        >>> teacher == student
        True
    """

    MIN_DOTS = 1

    def __init__(self, func_path: str, max_keep_data: int = 1) -> None:
        super().__init__(max_keep_data)
        self.func_path = func_path
        self._resolve()

    @property
    def path(self) -> str:
        return self.func_path
