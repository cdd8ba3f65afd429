# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.registry import TASK_UTILS
from .distill_delivery import DistillDelivery


@TASK_UTILS.register_module()
class MethodOutputsDelivery(DistillDelivery):
    """Deliver the outputs of a class method, e.g. a batch augmentation so
    that the teacher and the student see the same mixed inputs.

    Args:
        method_path (str): ``'pkg.module.Class.method'``.
        max_keep_data (int): Outputs kept per teacher forward.
    """

    MIN_DOTS = 2

    def __init__(self, method_path: str, max_keep_data: int = 1) -> None:
        super().__init__(max_keep_data)
        self.method_path = method_path
        self._resolve()

    @property
    def path(self) -> str:
        return self.method_path
