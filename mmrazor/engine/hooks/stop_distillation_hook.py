# Copyright (c) OpenMMLab. All rights reserved.
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor.registry import HOOKS


@HOOKS.register_module()
class StopDistillHook(Hook):
    """Stop the distillation losses from epoch ``stop_epoch`` on.

    Sets ``model.distillation_stopped = True`` before the epoch
    ``stop_epoch`` (0-based) starts; the flag is saved in checkpoints, so
    a resumed run stays stopped.

    Args:
        stop_epoch (int): The epoch at which distillation stops.
    """

    priority = 'LOW'

    def __init__(self, stop_epoch: int) -> None:
        if not isinstance(stop_epoch, int) or stop_epoch < 0:
            raise ValueError('StopDistillHook: stop_epoch must be a '
                             f'non-negative int, got {stop_epoch!r}')
        self.stop_epoch = stop_epoch

    def before_train_epoch(self, runner) -> None:
        """Stop distillation once ``runner.epoch >= stop_epoch``."""
        if runner.epoch >= self.stop_epoch:
            model = runner.model
            if is_model_wrapper(model):
                model = model.module
            if not hasattr(model, 'distillation_stopped'):
                raise AttributeError(
                    'StopDistillHook needs a model with '
                    '`distillation_stopped` (e.g. SingleTeacherDistill), '
                    f'got {type(model).__name__}')
            if not model.distillation_stopped:
                model.distillation_stopped = True
                runner.logger.info(
                    f'StopDistillHook: distillation stopped at epoch '
                    f'{runner.epoch}')
