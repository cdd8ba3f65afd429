# Copyright (c) OpenMMLab. All rights reserved.
"""Hooks of Group Fisher pruning: log the structure, track the resources,
save the pruned checkpoints and stop early."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from mmrazor.registry import HOOKS
from mmrazor.utils import atomic_write, print_log

RESOURCE_TYPES = ('flops', 'params')


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class PruningStructureHook(Hook):
    """Logs the channels each unit keeps.

    Args:
        by_epoch (bool): Log after every ``interval`` epochs (True) or
            iterations. Defaults to True.
        interval (int): Defaults to 1.
    """

    def __init__(self, by_epoch: bool = True, interval: int = 1) -> None:
        if interval <= 0:
            raise ValueError('PruningStructureHook: interval must be '
                             f'positive, got {interval}')
        self.by_epoch = by_epoch
        self.interval = interval

    @staticmethod
    def structure(model: nn.Module) -> Dict[str, str]:
        """``{unit_name: 'kept/total'}`` of the model's mutator."""
        mutator = getattr(_unwrap(model), 'mutator', None)
        if mutator is None:
            return {}
        return {
            unit.name:
            f'{unit.mutable_channel.activated_channels}/'
            f'{unit.num_channels}'
            for unit in mutator.mutable_units
        }

    def _log(self, runner) -> None:
        structure = self.structure(runner.model)
        if not structure:
            return
        lines = [f'  {name}: {value}' for name, value in structure.items()]
        print_log(
            'pruning structure (kept/total channels):\n' + '\n'.join(lines),
            logger='current')

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and self.every_n_epochs(runner, self.interval):
            self._log(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.by_epoch and self.every_n_train_iters(
                runner, self.interval):
            self._log(runner)


@HOOKS.register_module()
class ResourceInfoHook(Hook):
    """Logs the resources of the pruned model relative to the original one
    and saves a checkpoint when the ratio first falls to each threshold.

    Every ``interval`` iterations the FLOPs (or params) of the current
    pruned architecture are counted on ``demo_input`` and logged as
    ``{resource_type}`` (absolute) and ``{resource_type}_ratio``. The first
    time the ratio is at or below a threshold ``thr`` of
    ``save_ckpt_thr``, the algorithm's state dict (weights and pruning
    masks) is written to ``{work_dir}/{resource_type}_{thr:.2f}.pth``;
    with ``early_stop`` the training stops once every threshold is saved.

    Args:
        demo_input (dict | tuple): The demo input config (or shape) the
            resources are counted on. Defaults to
            ``dict(type='DefaultDemoInput', input_shape=[1, 3, 224, 224])``.
        interval (int): Iterations between two checks. Defaults to 10.
        resource_type (str): ``'flops'`` or ``'params'``. Defaults to
            ``'flops'``.
        save_ckpt_thr (list[float]): Ratios in (0, 1]. Defaults to [0.5].
        early_stop (bool): Stop training when every threshold is saved.
            Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 demo_input: Union[Dict, Sequence[int]] = dict(
                     type='DefaultDemoInput', input_shape=[1, 3, 224, 224]),
                 interval: int = 10,
                 resource_type: str = 'flops',
                 save_ckpt_thr: List[float] = [0.5],
                 early_stop: bool = True) -> None:
        if resource_type not in RESOURCE_TYPES:
            raise ValueError(f'ResourceInfoHook: resource_type must be one '
                             f'of {RESOURCE_TYPES}, got {resource_type!r}')
        if interval <= 0:
            raise ValueError('ResourceInfoHook: interval must be positive, '
                             f'got {interval}')
        thrs = [float(t) for t in save_ckpt_thr]
        bad = [t for t in thrs if not 0 < t <= 1]
        if bad:
            raise ValueError('ResourceInfoHook: save_ckpt_thr must be ratios '
                             f'in (0, 1], got {bad}')
        if isinstance(demo_input, dict):
            demo_input = dict(demo_input)
            demo_input.setdefault('_scope_', 'mmrazor')
        self.demo_input_cfg = demo_input
        self.interval = interval
        self.resource_type = resource_type
        self.save_ckpt_thr = sorted(thrs, reverse=True)
        self.early_stop = early_stop
        self.saved: List[float] = []
        self.origin: Optional[float] = None
        self._demo = None

    # ------------------------------------------------------------ helpers
    def _demo_input(self):
        if self._demo is None:
            from mmrazor.models.task_modules.demo_inputs.demo_inputs import \
                build_demo_input
            self._demo = build_demo_input(self.demo_input_cfg)
        return self._demo

    def resource(self, model: nn.Module) -> float:
        """The resource of the (pruned) architecture of ``model``."""
        from mmrazor.models.task_modules.estimators.counters import \
            get_model_flops_params
        algorithm = _unwrap(model)
        arch = getattr(algorithm, 'architecture', algorithm)
        demo = self._demo_input()
        flops, params = get_model_flops_params(
            arch,
            input_shape=demo.input_shape,
            units=dict(flops=None, params=None),
            input_constructor=lambda shape: demo.get_data(arch, shape, False))
        return float(flops if self.resource_type == 'flops' else params)

    def before_train(self, runner) -> None:
        """Count the resources of the unpruned model."""
        algorithm = _unwrap(runner.model)
        mutator = getattr(algorithm, 'mutator', None)
        if mutator is None:
            raise TypeError('ResourceInfoHook needs a pruning algorithm '
                            f'with a mutator, got {type(algorithm).__name__}')
        # the origin is the model with every channel kept
        masks = [
            u.mutable_channel.current_mask.clone()
            for u in mutator.mutable_units
        ]
        for unit in mutator.mutable_units:
            unit.mutable_channel.current_choice = torch.ones(
                unit.num_channels, dtype=torch.bool)
        try:
            self.origin = self.resource(runner.model)
        finally:
            for unit, mask in zip(mutator.mutable_units, masks):
                unit.mutable_channel.current_choice = mask
        # thresholds already reached (resumed run) are not saved again
        current = self.resource(runner.model) / self.origin
        self.saved = [
            t for t in self.save_ckpt_thr
            if osp.exists(self.ckpt_path(runner.work_dir, t)) and current <= t
        ]

    def ckpt_path(self, work_dir: str, thr: float) -> str:
        """``{work_dir}/{resource_type}_{thr:.2f}.pth``."""
        return osp.join(work_dir, f'{self.resource_type}_{thr:.2f}.pth')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Log the resource ratio; save and stop at the thresholds."""
        if not self.every_n_train_iters(runner, self.interval):
            return
        if self.origin is None:
            self.before_train(runner)
        current = self.resource(runner.model)
        ratio = current / self.origin if self.origin else 1.0
        runner.message_hub.update_scalar(f'train/{self.resource_type}',
                                         current)
        runner.message_hub.update_scalar(f'train/{self.resource_type}_ratio',
                                         ratio)
        print_log(
            f'{self.resource_type}: {current:.4g} ({100 * ratio:.2f} % of '
            f'the original {self.origin:.4g})',
            logger='current')
        for thr in self.save_ckpt_thr:
            if thr in self.saved or ratio > thr:
                continue
            self.saved.append(thr)
            path = self.ckpt_path(runner.work_dir, thr)
            if is_main_process():
                self._save(runner, path, ratio)
            print_log(
                f'saved {path} ({self.resource_type} ratio {ratio:.4f} <= '
                f'{thr:.2f})',
                logger='current')
        if self.early_stop and len(self.saved) == len(self.save_ckpt_thr) \
                and not runner.train_loop.stop_training:
            print_log(
                'every resource threshold is reached; training stops',
                logger='current')
            runner.train_loop.stop_training = True

    def _save(self, runner, path: str, ratio: float) -> None:
        algorithm = _unwrap(runner.model)
        state = {
            k: v.detach().cpu()
            for k, v in algorithm.state_dict().items()
        }
        meta = dict(
            resource_type=self.resource_type,
            ratio=float(ratio),
            iter=int(runner.iter + 1),
            epoch=int(runner.epoch))
        atomic_write(
            path,
            lambda tmp: torch.save(dict(state_dict=state, meta=meta), tmp))
