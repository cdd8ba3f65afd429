# Copyright (c) OpenMMLab. All rights reserved.
from typing import List, Optional

import torch
from mmengine.structures import BaseDataElement

from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS
from ...base import BaseAlgorithm, LossResults


@MODELS.register_module()
class SelfDistill(BaseAlgorithm):
    """Self-distillation (e.g. BYOT): no external teacher, the teacher and
    the student recorders both hook the student, and one forward yields
    the student losses (``student.``) and the distill losses
    (``distill.``).

    Args:
        distiller (dict): Distiller config (e.g. BYOTDistiller).
        **kwargs: Arguments of :class:`BaseAlgorithm`.
    """

    def __init__(self, distiller: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.distiller = MODELS.build(distiller)
        self.distiller.prepare_from_student(self.student)
        self.distiller.prepare_from_teacher(self.student)

    @property
    def student(self) -> torch.nn.Module:
        """nn.Module: The student (the architecture)."""
        return self.architecture

    def loss(
        self,
        batch_inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> LossResults:
        """One forward under all recorders, then the distill losses."""
        losses = dict()
        self.distiller.set_deliveries_override(False)
        with self.distiller.student_recorders, \
                self.distiller.teacher_recorders, \
                self.distiller.deliveries:
            student_losses = self.student(
                batch_inputs, data_samples, mode='loss')
        losses.update(add_prefix(student_losses, 'student'))
        distill_losses = self.distiller.compute_distill_losses()
        losses.update(add_prefix(distill_losses, 'distill'))
        return losses
