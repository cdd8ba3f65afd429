# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS
from mmrazor.utils.config_dict import as_config_dict
from ...base import BaseAlgorithm, LossResults
from .teacher_ckpt import load_teacher_checkpoint


@MODELS.register_module()
class SingleTeacherDistill(BaseAlgorithm):
    """Distillation from one teacher into the student (``architecture``).

    A training forward runs the teacher (deliveries recording, teacher
    recorders on, no gradient unless ``teacher_trainable``), then the
    student (deliveries overriding, student recorders on), then the
    distiller's losses. Loss keys are prefixed ``student.``, ``distill.``
    and ``teacher.`` (only when the teacher is trainable).

    Args:
        distiller (dict): Distiller config (e.g. ConfigurableDistiller).
        teacher (dict | BaseModel): Teacher config (``type=...`` or
            ``cfg_path='mmcls::...'``) or model.
        teacher_ckpt (str, optional): Teacher checkpoint. Missing and
            unexpected keys are reported by name; a checkpoint that loads
            nothing is an error.
        teacher_trainable (bool): Train the teacher too. Defaults to False.
        teacher_norm_eval (bool): Keep the teacher's BN layers in eval
            mode during training. Defaults to True.
        student_trainable (bool): Defaults to True.
        calculate_student_loss (bool): Add the student's task losses.
            Defaults to True.
        teacher_module_inplace (bool): Keep ``inplace=True`` in the
            teacher. Defaults to False.
        **kwargs: ``architecture``, ``data_preprocessor``, ``init_cfg``
            of :class:`BaseAlgorithm`.
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 teacher_ckpt: Optional[str] = None,
                 teacher_trainable: bool = False,
                 teacher_norm_eval: bool = True,
                 student_trainable: bool = True,
                 calculate_student_loss: bool = True,
                 teacher_module_inplace: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.distiller = MODELS.build(distiller)
        teacher = as_config_dict(teacher)
        if isinstance(teacher, dict):
            teacher = MODELS.build(teacher)
        if not isinstance(teacher, nn.Module):
            raise TypeError('teacher should be a `dict` or `nn.Module` '
                            f'instance, but got {type(teacher).__name__}')
        self.teacher = teacher
        self.teacher_module_inplace = teacher_module_inplace
        if not teacher_module_inplace:
            self.set_module_inplace_false(teacher, 'self.teacher')
        if teacher_ckpt:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
            # avoid the teacher being re-initialised by init_weights
            self.teacher._is_init = True
        self.teacher_trainable = teacher_trainable
        if not teacher_trainable:
            for param in self.teacher.parameters():
                param.requires_grad = False
        self.teacher_norm_eval = teacher_norm_eval
        self.student_trainable = student_trainable
        if not student_trainable:
            for param in self.student.parameters():
                param.requires_grad = False
        self.calculate_student_loss = calculate_student_loss
        self.distiller.prepare_from_student(self.student)
        self.distiller.prepare_from_teacher(self.teacher)
        # saved in checkpoints, so a resumed run stays stopped
        self.register_buffer('_distillation_stopped', torch.tensor([False]))

    @property
    def student(self) -> nn.Module:
        """nn.Module: The student (the architecture)."""
        return self.architecture

    @property
    def distillation_stopped(self) -> bool:
        """bool: Whether distill losses are skipped (StopDistillHook)."""
        return bool(self._distillation_stopped[0])

    @distillation_stopped.setter
    def distillation_stopped(self, stopped: bool) -> None:
        self._distillation_stopped.fill_(bool(stopped))

    def run_teacher(
            self, batch_inputs: torch.Tensor,
            data_samples: Optional[List[BaseDataElement]]) -> LossResults:
        """Teacher forward under the teacher recorders and recording
        deliveries; returns the prefixed teacher losses if trainable."""
        losses = dict()
        self.distiller.set_deliveries_override(False)
        with self.distiller.teacher_recorders, self.distiller.deliveries:
            if self.teacher_trainable:
                teacher_losses = self.teacher(
                    batch_inputs, data_samples, mode='loss')
                losses.update(add_prefix(teacher_losses, 'teacher'))
            else:
                with torch.no_grad():
                    self.teacher(batch_inputs, data_samples, mode='loss')
        return losses

    def loss(
        self,
        batch_inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> LossResults:
        """Teacher forward, student forward, distillation losses."""
        losses = self.run_teacher(batch_inputs, data_samples)
        self.distiller.set_deliveries_override(True)
        with self.distiller.student_recorders, self.distiller.deliveries:
            if self.student_trainable:
                student_losses = self.student(
                    batch_inputs, data_samples, mode='loss')
            else:
                with torch.no_grad():
                    student_losses = self.student(
                        batch_inputs, data_samples, mode='loss')
        if self.calculate_student_loss:
            losses.update(add_prefix(student_losses, 'student'))
        if not self.distillation_stopped:
            distill_losses = self.distiller.compute_distill_losses()
            losses.update(add_prefix(distill_losses, 'distill'))
        return losses

    def train(self, mode: bool = True) -> 'SingleTeacherDistill':
        """Set train mode; the teacher's BN stays in eval mode when
        ``teacher_norm_eval``."""
        super().train(mode)
        if mode and self.teacher_norm_eval:
            for module in self.teacher.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
