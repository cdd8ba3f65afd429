# Copyright (c) OpenMMLab. All rights reserved.
"""Validate the max, min and random subnets of a supernet (or one fixed
subnet), each after exact BN recalibration, with its resources."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import ValLoop
from torch.utils.data import DataLoader

from mmrazor.models.utils import add_prefix
from mmrazor.registry import LOOPS, TASK_UTILS
from .utils import CalibrateBNMixin


@LOOPS.register_module()
class SubnetValLoop(ValLoop, CalibrateBNMixin):
    """Validation loop of weight-sharing supernets (BigNAS, OFA).

    For each kind of the model's ``sample_kinds`` (``max``, ``min``,
    ``random{i}``) the subnet is activated, BN statistics are recalibrated
    on ``calibrate_sample_num`` training samples, the subnet is evaluated
    and its resources (FLOPs, params) are added; metric keys are prefixed
    ``max_subnet.``, ``min_subnet.``, ``random0_subnet.``. With
    ``evaluate_fixed_subnet`` the model as it is (a fixed subnet) is
    evaluated once, prefixed ``fix_subnet.``.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The validation dataloader.
        evaluator (Evaluator | dict | list): The evaluator.
        fp16 (bool): Autocast. Defaults to False.
        evaluate_fixed_subnet (bool): Evaluate the fixed model once.
            Defaults to False.
        calibrate_sample_num (int): Samples for BN recalibration; 0 skips
            it. Defaults to 4096.
        estimator_cfg (dict, optional): The resource estimator. Defaults to
            ``dict(type='mmrazor.ResourceEstimator')`` with the input shape
            of the first validation batch.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False,
                 evaluate_fixed_subnet: bool = False,
                 calibrate_sample_num: int = 4096,
                 estimator_cfg: Optional[Dict] = dict(
                     type='mmrazor.ResourceEstimator')) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        model = self.runner.model
        self.model = model.module if is_model_wrapper(model) else model
        if calibrate_sample_num < 0:
            raise ValueError('calibrate_sample_num must be >= 0, got '
                             f'{calibrate_sample_num}')
        self.evaluate_fixed_subnet = evaluate_fixed_subnet
        self.calibrate_sample_num = calibrate_sample_num
        self.estimator_cfg = dict(estimator_cfg) if estimator_cfg else None
        self._estimator = None

    def _kinds(self) -> List[str]:
        if self.evaluate_fixed_subnet:
            return ['fix']
        kinds = getattr(self.model, 'sample_kinds', None)
        if not kinds or getattr(self.model, 'mutator', None) is None:
            raise AttributeError(
                f'SubnetValLoop: {type(self.model).__name__} has no '
                '`sample_kinds` and `mutator`; set evaluate_fixed_subnet='
                'True to evaluate a fixed subnet')
        return list(kinds)

    def _set_subnet(self, kind: str) -> None:
        if kind == 'fix':
            return
        mutator = self.model.mutator
        if kind == 'max':
            mutator.set_max_choices()
        elif kind == 'min':
            mutator.set_min_choices()
        elif kind.startswith('random'):
            mutator.set_choices(mutator.sample_choices())
        else:
            raise ValueError(f'SubnetValLoop: unknown sample kind {kind!r}')

    def run(self) -> Dict:
        """Evaluate every subnet kind; returns the merged metrics."""
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        all_metrics = dict()
        for kind in self._kinds():
            self._set_subnet(kind)
            metrics = self._evaluate_once()
            all_metrics.update(add_prefix(metrics, f'{kind}_subnet'))
        self.runner.call_hook('after_val_epoch', metrics=all_metrics)
        self.runner.call_hook('after_val')
        return all_metrics

    def _estimator_for(self, inputs: torch.Tensor):
        if self.estimator_cfg is None:
            return None
        if self._estimator is None:
            cfg = dict(self.estimator_cfg)
            cfg.setdefault('input_shape', (1, ) + tuple(inputs.shape[1:]))
            self._estimator = TASK_UTILS.build(cfg)
        return self._estimator

    def _evaluate_once(self) -> Dict:
        if self.calibrate_sample_num > 0:
            self.calibrate_bn_statistics(self.runner.train_dataloader,
                                         self.calibrate_sample_num)
        self.runner.model.eval()
        first_inputs = None
        for idx, data_batch in enumerate(self.dataloader):
            if first_inputs is None:
                first_inputs = self.model.data_preprocessor(
                    data_batch, False)['inputs']
            self.run_iter(idx, data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        estimator = self._estimator_for(first_inputs)
        if estimator is not None:
            architecture = getattr(self.model, 'architecture', self.model)
            resources = estimator.estimate(architecture)
            if not resources.get('latency'):
                resources.pop('latency', None)  # not measured
            metrics.update(resources)
        return metrics
