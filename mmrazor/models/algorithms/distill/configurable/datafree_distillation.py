# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmrazor.models.utils import add_prefix, set_requires_grad
from mmrazor.registry import MODELS
from mmrazor.utils.config_dict import as_config_dict
from ...base import BaseAlgorithm
from .teacher_ckpt import load_teacher_checkpoint


@MODELS.register_module()
class DataFreeDistillation(BaseAlgorithm):
    """Data-free distillation with an image generator (DFAD, ZSKT).

    Each ``train_step`` updates the student ``student_iter`` times on
    detached generated images with the ``distiller`` losses, and the
    generator once with the ``generator_distiller`` losses (e.g. an
    adversarial, negated discrepancy), in the order given by
    ``student_train_first``. The teachers are frozen and in eval mode.
    Teacher recorders see the teachers as a ``ModuleDict``: sources are
    ``'<teacher name>.<module>'``.

    Args:
        distiller (dict): Distiller of the student step.
        generator_distiller (dict): Distiller of the generator step.
        teachers (dict): ``{name: dict(build_cfg=..., ckpt_path=...)}``.
        generator (dict): Generator config.
        student_iter (int): Student updates per step. Defaults to 1.
        student_train_first (bool): Update the student before the
            generator. Defaults to False.
        **kwargs: Arguments of :class:`BaseAlgorithm`.
    """

    def __init__(self,
                 distiller: dict,
                 generator_distiller: dict,
                 teachers: Dict[str, Dict],
                 generator: dict,
                 student_iter: int = 1,
                 student_train_first: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.student_iter = student_iter
        self.student_train_first = student_train_first
        self.distiller = MODELS.build(distiller)
        self.generator_distiller = MODELS.build(generator_distiller)
        teachers = as_config_dict(teachers)
        if not isinstance(teachers, dict) or not teachers:
            raise TypeError('teachers should be a non-empty dict of '
                            '{name: dict(build_cfg=..., ckpt_path=...)}')
        self.teachers = nn.ModuleDict()
        for name, cfg in teachers.items():
            if not isinstance(cfg, dict) or 'build_cfg' not in cfg:
                raise KeyError(f'teachers[{name!r}] needs a `build_cfg` '
                               '(and optionally `ckpt_path`)')
            teacher = MODELS.build(cfg['build_cfg'])
            if cfg.get('ckpt_path'):
                load_teacher_checkpoint(
                    teacher, cfg['ckpt_path'], name=f'teachers.{name}')
                teacher._is_init = True
            self.set_module_inplace_false(teacher, 'teacher')
            set_requires_grad(teacher, False)
            self.teachers[name] = teacher
        generator = as_config_dict(generator)
        if isinstance(generator, dict):
            generator = MODELS.build(generator)
        self.generator = generator
        self.distiller.prepare_from_student(self.student)
        self.distiller.prepare_from_teacher(self.teachers)
        self.generator_distiller.prepare_from_student(self.student)
        self.generator_distiller.prepare_from_teacher(self.teachers)

    @property
    def student(self) -> nn.Module:
        """nn.Module: The student (the architecture)."""
        return self.architecture

    def train(self, mode: bool = True) -> 'DataFreeDistillation':
        """Train mode for student and generator; teachers stay in eval."""
        super().train(mode)
        self.teachers.eval()
        return self

    @staticmethod
    def _check_optim_wrapper(optim_wrapper) -> None:
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                'architecture' not in optim_wrapper or \
                'generator' not in optim_wrapper:
            raise TypeError(
                f'{type(optim_wrapper).__name__}: data-free distillation '
                'needs an OptimWrapperDict with `architecture` and '
                '`generator` (use constructor='
                "'mmrazor.SeparateOptimWrapperConstructor')")

    def _batch_size(self, data) -> int:
        inputs = data['inputs'] if isinstance(data, dict) else data[0]
        return len(inputs)

    def _forward_teachers(self, images: torch.Tensor) -> None:
        for teacher in self.teachers.values():
            teacher(images, mode='tensor')

    def train_step(self, data: Dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """Student step(s) and generator step on generated images.

        Args:
            data (dict): A batch (only its size is used).
            optim_wrapper (OptimWrapperDict): ``architecture`` and
                ``generator`` wrappers.

        Returns:
            dict: Log variables.
        """
        self._check_optim_wrapper(optim_wrapper)
        batch_size = self._batch_size(data)
        log_vars = dict()
        if self.student_train_first:
            log_vars.update(
                self.train_student(batch_size, optim_wrapper['architecture']))
            log_vars.update(
                self.train_generator(batch_size, optim_wrapper['generator']))
        else:
            log_vars.update(
                self.train_generator(batch_size, optim_wrapper['generator']))
            log_vars.update(
                self.train_student(batch_size, optim_wrapper['architecture']))
        return log_vars

    def train_student(self, batch_size: int,
                      optimizer: OptimWrapper) -> Dict[str, torch.Tensor]:
        """``student_iter`` student updates on detached fake images."""
        log_vars: Dict[str, torch.Tensor] = dict()
        for _ in range(self.student_iter):
            with torch.no_grad():
                fakeimg = self.generator(batch_size=batch_size).detach()
            with optimizer.optim_context(self.student):
                with torch.no_grad(), self.distiller.teacher_recorders:
                    self._forward_teachers(fakeimg)
                with self.distiller.student_recorders:
                    self.student(fakeimg, mode='tensor')
                losses = self.distiller.compute_distill_losses()
                loss, log = self.parse_losses(losses)
            optimizer.update_params(loss)
            log_vars = log
        return add_prefix(log_vars, 'distill')

    def train_generator(self, batch_size: int,
                        optimizer: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One generator update with the generator distiller's losses."""
        set_requires_grad(self.student, False)
        try:
            with optimizer.optim_context(self.generator):
                fakeimg = self.generator(batch_size=batch_size)
                with self.generator_distiller.teacher_recorders:
                    self._forward_teachers(fakeimg)
                with self.generator_distiller.student_recorders:
                    self.student(fakeimg, mode='tensor')
                losses = self.generator_distiller.compute_distill_losses()
                loss, log_vars = self.parse_losses(losses)
            optimizer.update_params(loss)
        finally:
            set_requires_grad(self.student, True)
        return add_prefix(log_vars, 'generator')


@MODELS.register_module()
class DAFLDataFreeDistillation(DataFreeDistillation):
    """DAFL: one fake batch per step. The generator loss (from the
    teachers' outputs, e.g. one-hot, information entropy and activation
    losses) and the student loss (on ``fakeimg.detach()``) are both
    computed before the two optimisers update.

    Args: see :class:`DataFreeDistillation` (``student_iter`` and
        ``student_train_first`` are not used).
    """

    def train_step(self, data: Dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """Generator and student losses on one fake batch, then both
        updates."""
        self._check_optim_wrapper(optim_wrapper)
        batch_size = self._batch_size(data)
        gen_opt = optim_wrapper['generator']
        stu_opt = optim_wrapper['architecture']
        with gen_opt.optim_context(self.generator):
            fakeimg = self.generator(batch_size=batch_size)
            with self.generator_distiller.teacher_recorders:
                self._forward_teachers(fakeimg)
            gen_losses = self.generator_distiller.compute_distill_losses()
            gen_loss, gen_log = self.parse_losses(gen_losses)
        with stu_opt.optim_context(self.student):
            fake_detached = fakeimg.detach()
            with torch.no_grad(), self.distiller.teacher_recorders:
                self._forward_teachers(fake_detached)
            with self.distiller.student_recorders:
                self.student(fake_detached, mode='tensor')
            dis_losses = self.distiller.compute_distill_losses()
            dis_loss, dis_log = self.parse_losses(dis_losses)
        gen_opt.update_params(gen_loss)
        stu_opt.update_params(dis_loss)
        log_vars = add_prefix(gen_log, 'generator')
        log_vars.update(add_prefix(dis_log, 'distill'))
        return log_vars
