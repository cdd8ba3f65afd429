# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor.registry import HOOKS

ACTIONS = ('raise', 'skip')


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Choose what a non-finite loss does to the run.

    Without this hook every :class:`~mmrazor.models.BaseAlgorithm` stops
    training at the first NaN or infinite loss term with an error naming
    the loss key, the iteration and the last checkpoint. With
    ``action='skip'`` such steps are skipped instead (no parameter is
    updated); each skip is logged as a warning and the running count
    appears as ``nonfinite_skipped`` in the training log.

    Args:
        action (str): ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        max_skips (int, optional): With ``'skip'``, stop the run once more
            than this many steps were skipped. Defaults to None (no limit).

    Examples:
        >>> custom_hooks = [
        ...     dict(type='mmrazor.NonFiniteLossHook', action='skip')]
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 action: str = 'raise',
                 max_skips: Optional[int] = None) -> None:
        if action not in ACTIONS:
            raise ValueError(f'NonFiniteLossHook: action must be one of '
                             f'{ACTIONS}, got {action!r}')
        if max_skips is not None and max_skips < 0:
            raise ValueError('NonFiniteLossHook: max_skips must be >= 0 or '
                             f'None, got {max_skips}')
        self.action = action
        self.max_skips = max_skips
        self._algorithms = []

    def before_train(self, runner) -> None:
        from mmrazor.models.algorithms.base import BaseAlgorithm
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self._algorithms = [
            m for m in model.modules() if isinstance(m, BaseAlgorithm)
        ]
        if not self._algorithms:
            runner.logger.warning(
                f'NonFiniteLossHook: {type(model).__name__} is not an '
                'mmrazor algorithm, its losses are not guarded.')
        for algorithm in self._algorithms:
            algorithm.non_finite_loss = self.action
        if self.action == 'skip':
            # the log shows the running count, not its window average
            custom_cfg = runner.log_processor.custom_cfg
            if not any(
                    c.get('data_src') == 'nonfinite_skipped'
                    for c in custom_cfg):
                custom_cfg.append(
                    dict(data_src='nonfinite_skipped', method_name='current'))

    def _skipped(self) -> int:
        return sum(a.non_finite_skipped for a in self._algorithms)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self.max_skips is not None and self._skipped() > self.max_skips:
            from mmrazor.models.algorithms.loss_guard import NonFiniteLossError
            raise NonFiniteLossError(
                f'NonFiniteLossHook: {self._skipped()} training steps had a '
                f'non-finite loss, more than max_skips={self.max_skips}; '
                f'stopped at iteration {runner.iter + 1}.')

    def after_train(self, runner) -> None:
        if self.action == 'skip':
            log = runner.logger.warning if self._skipped() else \
                runner.logger.info
            log(f'NonFiniteLossHook: {self._skipped()} training steps '
                'skipped for a non-finite loss.')
