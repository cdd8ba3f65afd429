# Copyright (c) OpenMMLab. All rights reserved.
from typing import List, Optional

import torch
from mmengine.structures import BaseDataElement

from mmrazor.registry import MODELS
from ...base import LossResults
from .single_teacher_distill import SingleTeacherDistill


@MODELS.register_module()
class FpnTeacherDistill(SingleTeacherDistill):
    """:class:`SingleTeacherDistill` whose teacher only runs
    ``extract_feat`` (backbone + neck), e.g. for FPN distillation of
    detectors. The teacher produces no losses.
    """

    def run_teacher(
            self, batch_inputs: torch.Tensor,
            data_samples: Optional[List[BaseDataElement]]) -> LossResults:
        """Run ``teacher.extract_feat`` under the teacher recorders."""
        if not hasattr(self.teacher, 'extract_feat'):
            raise TypeError('FpnTeacherDistill needs a teacher with '
                            '`extract_feat` (e.g. an mmdet detector), got '
                            f'{type(self.teacher).__name__}')
        self.distiller.set_deliveries_override(False)
        with self.distiller.teacher_recorders, self.distiller.deliveries:
            if self.teacher_trainable:
                self.teacher.extract_feat(batch_inputs)
            else:
                with torch.no_grad():
                    self.teacher.extract_feat(batch_inputs)
        return dict()
