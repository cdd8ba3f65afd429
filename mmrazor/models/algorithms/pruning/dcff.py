# Copyright (c) OpenMMLab. All rights reserved.
"""DCFF: Dynamic-Coded Filter Fusion."""
import math
from typing import Dict, Optional, Union

from mmengine.model import BaseModel
from torch import nn

from mmrazor.models.mutators import ChannelMutator
from mmrazor.registry import MODELS
from mmrazor.utils import RuntimeInfo, print_log
from .ite_prune_algorithm import ItePruneAlgorithm, ItePruneConfigManager, \
    NumberT


def dcff_temperature(it: int,
                     total: int,
                     t_s: float = 1.,
                     t_e: float = 10000.,
                     k: float = 1.) -> float:
    """The DCFF temperature ``t = 1 / T(it)`` with
    ``T = A / (1 + exp(-k * it)) + t_s - A / 2`` and ``A = 2 (t_e - t_s)
    (1 + exp(-k * total)) / (1 - exp(-k * total))``, so that ``T(0) = t_s``
    and ``T(total) = t_e``.

    Args:
        it (int): The current step (epoch or iteration).
        total (int): The last step.
        t_s (float): T at the start. Defaults to 1.
        t_e (float): T at the end. Defaults to 10000.
        k (float): Steepness. Defaults to 1.

    Returns:
        float: The temperature ``1 / T``.
    """
    if total <= 0:
        raise ValueError(f'total must be positive, got {total}')
    e = math.exp(-k * total)
    a = 2 * (t_e - t_s) * (1 + e) / (1 - e)
    big_t = a / (1 + math.exp(-k * it)) + t_s - a / 2
    return 1. / big_t


@MODELS.register_module()
class DCFF(ItePruneAlgorithm):
    """`DCFF <https://arxiv.org/abs/2107.06916>`_: Dynamic-Coded Filter
    Fusion.

    The units are set to ``target_pruning_ratio`` at the first prune step
    and kept there; at every prune step the kept filters of each
    ``FuseConv2d`` are re-fused from all its filters at a temperature that
    falls from 1 to 1/10000 (:func:`dcff_temperature`), so training moves
    from fused filters towards plainly selected ones. ``ItePruneValLoop``
    exports the compact model.

    Exactly one of ``step_freq`` and ``prune_times`` must lie in
    ``(0, total)``, where ``total`` is ``max_epochs`` (training by epoch) or
    ``max_iters``; the other one is derived (``total // value``).

    Args:
        architecture (dict | BaseModel): The model to prune.
        mutator_cfg (dict | ChannelMutator): Defaults to a
            ``DCFFChannelMutator`` with ``DCFFChannelUnit``.
        data_preprocessor (dict, optional): Defaults to the
            architecture's.
        target_pruning_ratio (dict, optional): ``{unit_name: choice}``.
        step_freq (int): Fuse every ``step_freq`` epochs (iterations).
            Defaults to 1.
        prune_times (int): Number of fusion steps. Defaults to 0 (derived).
        init_cfg (dict, optional): Init config.
        linear_schedule (bool): Reach the target linearly. Defaults to
            False (DCFF prunes to the target at once).
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator_cfg: Union[Dict, ChannelMutator] = dict(
                     type='DCFFChannelMutator',
                     channel_unit_cfg=dict(type='DCFFChannelUnit')),
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 target_pruning_ratio: Optional[Dict[str, NumberT]] = None,
                 step_freq: int = 1,
                 prune_times: int = 0,
                 init_cfg: Optional[Dict] = None,
                 linear_schedule: bool = False) -> None:
        super().__init__(architecture, mutator_cfg, data_preprocessor,
                         target_pruning_ratio, step_freq, prune_times,
                         init_cfg, linear_schedule)
        if not hasattr(self.mutator, 'calc_information'):
            raise TypeError('DCFF needs a DCFFChannelMutator, got '
                            f'{type(self.mutator).__name__}')
        self._total = 1
        self._scale = 1

    def _schedule(self) -> tuple:
        """``(total, iterations per step unit)`` of the run."""
        try:
            max_epochs = RuntimeInfo.max_epochs()
        except KeyError:
            max_epochs = 1
        if max_epochs != 1:
            return max_epochs, RuntimeInfo.iter_pre_epoch()
        return RuntimeInfo.max_iters(), 1

    def _init_prune_config_manager(self) -> ItePruneConfigManager:
        total, scale = self._schedule()
        step_ok = 0 < self.step_freq < total
        times_ok = 0 < self.prune_times < total
        if step_ok == times_ok:
            raise ValueError(
                'DCFF needs exactly one of step_freq and prune_times in '
                f'(0, {total}) ({"epochs" if scale > 1 else "iterations"}); '
                f'got step_freq={self.step_freq}, '
                f'prune_times={self.prune_times}')
        if step_ok:
            step_freq, prune_times = self.step_freq, total // self.step_freq
        else:
            step_freq, prune_times = total // self.prune_times, \
                self.prune_times
        self._total, self._scale = total, scale
        return self._build_prune_config_manager(step_freq * scale, prune_times)

    def _prune_at(self, it: int) -> None:
        """Set the scheduled choices of iteration ``it`` and fuse the
        filters at the temperature of that step."""
        self.mutator.set_choices(self.prune_config_manager.prune_at(it))
        tau = dcff_temperature(it // self._scale, self._total)
        self.mutator.calc_information(tau)
        print_log(
            f'DCFF: fused filters at iter {it} (temperature {tau:.3g})',
            logger='current')
