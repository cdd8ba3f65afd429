# Copyright (c) OpenMMLab. All rights reserved.
"""Validation of every subnet of a slimmable network."""
from typing import Dict, List, Union

from mmengine.evaluator import Evaluator
from mmengine.runner import ValLoop
from torch.utils.data import DataLoader

from mmrazor.registry import LOOPS
from .utils.val_iter import run_val_iter, unwrap_runner_model


@LOOPS.register_module()
class SlimmableValLoop(ValLoop):
    """Validate each subnet ``mutator.subnets[i]`` of a
    :class:`SlimmableNetwork`; metrics are prefixed ``subnet_{i}.``. A
    deployed network (``deploy_index >= 0``) is validated once, like a
    plain model.

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
        mutator = getattr(model, 'mutator', None)
        if not hasattr(mutator, 'subnets'):
            raise TypeError('SlimmableValLoop needs a model whose mutator '
                            'has `subnets` (SlimmableNetwork), got '
                            f'{type(model).__name__}')
        self.model = model

    def run(self) -> Dict:
        """Validate every subnet."""
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        metrics: Dict = dict()
        if getattr(self.model, 'is_deployed', False):
            metrics = self._evaluate()
        else:
            for index, subnet in enumerate(self.model.mutator.subnets):
                self.model.mutator.set_choices(subnet)
                for key, value in self._evaluate().items():
                    metrics[f'subnet_{index}.{key}'] = value
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    def _evaluate(self) -> Dict:
        for idx, data_batch in enumerate(self.dataloader):
            run_val_iter(self, idx, data_batch)
        return self.evaluator.evaluate(len(self.dataloader.dataset))
