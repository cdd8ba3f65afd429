# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Any, Dict, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor.registry import HOOKS, TASK_UTILS
from mmrazor.structures.subnet import export_fix_subnet, load_fix_subnet


@HOOKS.register_module()
class EstimateResourcesHook(Hook):
    """Estimate the resources (FLOPs, params, latency) of the model after
    validation and log them (``resources/flops`` etc.).

    When the model is a supernet (``model.is_supernet``) a randomly sampled
    subnet is exported and loaded on a deep copy first.

    Args:
        interval (int): Estimate every ``interval`` validations (epochs or
            iterations); -1 means every validation. Defaults to -1.
        by_epoch (bool): Count ``interval`` in epochs. Defaults to True.
        estimator_cfg (dict, optional): Resource estimator config. Defaults
            to ``dict(type='mmrazor.ResourceEstimator')``.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 interval: int = -1,
                 by_epoch: bool = True,
                 estimator_cfg: Optional[Dict[str, Any]] = None,
                 **kwargs) -> None:
        self.interval = interval
        self.by_epoch = by_epoch
        estimator_cfg = dict(estimator_cfg or {})
        estimator_cfg.setdefault('type', 'mmrazor.ResourceEstimator')
        self.estimator = TASK_UTILS.build(estimator_cfg)
        self.last_results: Optional[Dict] = None

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Estimate and log the resources."""
        if self.interval > 0:
            count = runner.epoch if self.by_epoch else runner.iter
            if count % self.interval != 0:
                return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if getattr(model, 'is_supernet', False):
            model = copy.deepcopy(model)
            model.mutator.set_choices(model.mutator.sample_choices())
            subnet, _ = export_fix_subnet(model)
            load_fix_subnet(model, subnet)
        model = getattr(model, 'architecture', model)
        results = self.estimator.estimate(model)
        self.last_results = results
        for key, value in results.items():
            runner.message_hub.update_scalar(f'resources/{key}', value)
        runner.logger.info(f'Estimated resources: {results}')
