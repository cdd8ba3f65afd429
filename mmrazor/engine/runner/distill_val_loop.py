# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import ValLoop, autocast
from torch.utils.data import DataLoader

from mmrazor.registry import LOOPS
from .utils.val_iter import run_val_iter, unwrap_runner_model


@LOOPS.register_module()
class SingleTeacherDistillValLoop(ValLoop):
    """Validate the student, then the teacher.

    The teacher is run on the batches pre-processed by the student's data
    preprocessor, and its metrics are logged with the prefix
    ``teacher.`` — so a teacher that failed to load is visible at the
    first validation.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Validation dataloader.
        evaluator (Evaluator | dict | list): Evaluator.
        fp16 (bool): Validate with fp16 autocast. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        model = unwrap_runner_model(self.runner)
        if not hasattr(model, 'teacher'):
            raise TypeError('SingleTeacherDistillValLoop needs a model '
                            'with a `teacher` (e.g. SingleTeacherDistill), '
                            f'got {type(model).__name__}')
        self.model = model

    def run(self) -> dict:
        """Validate the student and the teacher."""
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))

        for data_batch in self.dataloader:
            self.run_teacher_iter(data_batch)
        teacher_metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        for key, value in teacher_metrics.items():
            metrics[f'teacher.{key}'] = value

        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """Validate the student on one batch."""
        run_val_iter(self, idx, data_batch)

    @torch.no_grad()
    def run_teacher_iter(self, data_batch: Sequence[dict]) -> None:
        """Validate the teacher on one batch."""
        data = self.model.data_preprocessor(data_batch, False)
        with autocast(enabled=self.fp16):
            outputs = self.model.teacher(**data, mode='predict')
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)


@LOOPS.register_module()
class SelfDistillValLoop(ValLoop):
    """Validate the student of a self-distillation algorithm (the
    architecture only), like :class:`mmengine.runner.ValLoop`.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Validation dataloader.
        evaluator (Evaluator | dict | list): Evaluator.
        fp16 (bool): Defaults to False.
    """

    def run(self) -> dict:
        """Validate the student."""
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        model = unwrap_runner_model(self.runner)
        student = getattr(model, 'student', model)
        for idx, data_batch in enumerate(self.dataloader):
            self.runner.call_hook(
                'before_val_iter', batch_idx=idx, data_batch=data_batch)
            with torch.no_grad(), autocast(enabled=self.fp16):
                data = model.data_preprocessor(data_batch, False)
                outputs = student(**data, mode='predict')
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            self.runner.call_hook(
                'after_val_iter',
                batch_idx=idx,
                data_batch=data_batch,
                outputs=outputs)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics
