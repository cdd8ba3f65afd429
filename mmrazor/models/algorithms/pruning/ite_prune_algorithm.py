# Copyright (c) OpenMMLab. All rights reserved.
"""Iterative pruning to a target structure."""
import copy
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn

from mmrazor.models.mutators import ChannelMutator
from mmrazor.registry import MODELS
from mmrazor.utils import RuntimeInfo, print_log
from ..base import BaseAlgorithm

NumberT = Union[int, float]


class ItePruneConfigManager:
    """Schedules the choices of an iterative pruning.

    Args:
        target (dict): ``{unit_name: choice}`` to reach.
        supernet (dict): ``{unit_name: choice}`` at the start.
        step_freq (int): Prune every ``step_freq`` iterations.
        prune_times (int): Number of prune steps.
        linear_schedule (bool): Interpolate linearly from ``supernet`` to
            ``target``; otherwise jump to ``target``.
    """

    def __init__(self,
                 target: Dict[str, NumberT],
                 supernet: Dict[str, NumberT],
                 step_freq: int = 1,
                 prune_times: int = 1,
                 linear_schedule: bool = True) -> None:
        self.supernet = supernet
        self.target = target
        self.step_freq = max(1, int(step_freq))
        self.prune_times = int(prune_times)
        self.linear_schedule = linear_schedule

    def is_prune_time(self, iteration: int) -> bool:
        """Whether ``iteration`` is a prune step."""
        return iteration % self.step_freq == 0 and \
            iteration // self.step_freq < self.prune_times

    def prune_at(self, iteration: int) -> Dict[str, NumberT]:
        """The choices of the prune step at ``iteration``."""
        times = iteration // self.step_freq + 1
        choices = {}
        for key, target in self.target.items():
            start = self.supernet[key]
            if self.linear_schedule and self.prune_times > 0:
                value = (target - start) * min(
                    times, self.prune_times) / self.prune_times + start
            else:
                value = target
            if isinstance(target, int) and isinstance(start, int):
                value = int(value)
            choices[key] = value
        return choices


@MODELS.register_module()
class ItePruneAlgorithm(BaseAlgorithm):
    """Prunes ``architecture`` iteratively to ``target_pruning_ratio``.

    Args:
        architecture (dict | BaseModel): The model to prune.
        mutator_cfg (dict | ChannelMutator): The channel mutator. Defaults
            to a ``ChannelMutator`` with ``SequentialMutableChannelUnit``.
        data_preprocessor (dict, optional): Defaults to the
            architecture's.
        target_pruning_ratio (dict, optional): ``{unit_name: choice}`` (a
            ratio or a channel number, see ``mutator.choice_template``).
            Units not listed are not pruned. Defaults to None (no pruning).
        step_freq (int): Prune every ``step_freq`` iterations (epochs when
            training by epoch). Defaults to 1.
        prune_times (int): Number of prune steps. Defaults to 1.
        init_cfg (dict, optional): Init config.
        linear_schedule (bool): Reach the target linearly. Defaults to True.
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator_cfg: Union[Dict, ChannelMutator] = dict(
                     type='ChannelMutator',
                     channel_unit_cfg=dict(
                         type='SequentialMutableChannelUnit')),
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 target_pruning_ratio: Optional[Dict[str, NumberT]] = None,
                 step_freq: int = 1,
                 prune_times: int = 1,
                 init_cfg: Optional[Dict] = None,
                 linear_schedule: bool = True) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        if isinstance(mutator_cfg, ChannelMutator):
            self.mutator = mutator_cfg
        else:
            self.mutator = MODELS.build(copy.deepcopy(dict(mutator_cfg)))
        self.mutator.prepare_from_supernet(self.architecture)
        self.supernet_choices = copy.deepcopy(self.mutator.current_choices)
        self.target_pruning_ratio = self._check_target(
            dict(target_pruning_ratio or {}))
        self.step_freq = step_freq
        self.prune_times = prune_times
        self.linear_schedule = linear_schedule
        self.prune_config_manager: Optional[ItePruneConfigManager] = None

    def _check_target(self, target: Dict[str, NumberT]) -> Dict:
        known = self.mutator.current_choices
        unknown = [k for k in target if k not in known]
        if unknown:
            report = getattr(self.mutator, 'analysis_report', None)
            kept = [
                f"{u.get('module') or u.get('node')} ({u.get('reason')})"
                for u in getattr(report, 'unsupported', [])[:3]
            ]
            why = '' if not kept else (
                '; the channel analysis keeps whole the channels that reach '
                f'unsupported ops, e.g. {kept}')
            raise KeyError(
                f'target_pruning_ratio has unknown units {unknown[:5]}; the '
                f'mutator has {len(known)} units, e.g. {list(known)[:3]} '
                f'(see tools/pruning/get_channel_units.py --choice){why}')
        for k, v in target.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f'target of unit {k} must be an int or a '
                                f'float, got {v!r}')
            if isinstance(v, float) and not 0. < v <= 1.:
                raise ValueError(
                    f'target_pruning_ratio[{k!r}] = {v}: a ratio must be in '
                    '(0, 1] (the share of channels kept)')
            if isinstance(v, int) and v < 1:
                raise ValueError(
                    f'target_pruning_ratio[{k!r}] = {v}: a channel number '
                    'must be >= 1')
        return target

    def _init_prune_config_manager(self) -> ItePruneConfigManager:
        step_freq = self.step_freq
        try:
            if RuntimeInfo.max_epochs() != 1:
                step_freq *= RuntimeInfo.iter_pre_epoch()
        except KeyError:
            pass
        return self._build_prune_config_manager(step_freq, self.prune_times)

    def _build_prune_config_manager(self, step_freq: int,
                                    prune_times: int) -> ItePruneConfigManager:
        """The schedule from the supernet choices of the targeted units to
        ``target_pruning_ratio``.

        Args:
            step_freq (int): Iterations between two pruning steps.
            prune_times (int): Number of pruning steps.

        Returns:
            ItePruneConfigManager: The schedule.
        """
        supernet = {
            k: self.supernet_choices[k]
            for k in self.target_pruning_ratio
        }
        return ItePruneConfigManager(self.target_pruning_ratio, supernet,
                                     step_freq, prune_times,
                                     self.linear_schedule)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        """Prune at the scheduled iterations, then forward."""
        if self.training and mode == 'loss' and self.target_pruning_ratio:
            if self.prune_config_manager is None:
                self.prune_config_manager = \
                    self._init_prune_config_manager()
            try:
                it = RuntimeInfo.iter()
            except KeyError:
                it = 0
            if self.prune_config_manager.is_prune_time(it):
                self._prune_at(it)
        return super().forward(inputs, data_samples, mode)

    def _prune_at(self, it: int) -> None:
        """Set the scheduled choices of iteration ``it``."""
        self.mutator.set_choices(self.prune_config_manager.prune_at(it))
        print_log(f'pruned at iter {it}', logger='current')

    def init_weights(self) -> None:
        """Initialise the architecture."""
        return self.architecture.init_weights()
