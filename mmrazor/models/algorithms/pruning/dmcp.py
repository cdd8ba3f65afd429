# Copyright (c) OpenMMLab. All rights reserved.
"""DMCP: Differentiable Markov Channel Pruning."""
import copy
from typing import Callable, Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from mmrazor.models.mutators import DMCPChannelMutator
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from ..base import BaseAlgorithm

STRATEGIES = ('max', 'min', 'arch_random', 'scheduled_random', 'random',
              'direct')
FLOPS_LOSS_TYPES = ('l2', 'inverted_log_l1', 'log_l1', 'l1')


@MODELS.register_module()
class DMCP(BaseAlgorithm):
    """DMCP (Guo et al., Differentiable Markov Channel Pruning, CVPR 2020).

    Each training step trains the weights with the sandwich ``strategy``:
    'max' (the full model; its logits are recorded as the teacher of the
    in-place distillation), 'min', and 'arch_random' (a subnet sampled
    from the Markov chain - 'direct' - once architecture training has
    started, a uniform 'random' one before); the gradients of all subnets
    are summed into one update. From ``arch_start_train`` on, every
    ``arch_train_freq`` iterations the architecture parameters are updated
    with the loss of the full model whose batch norms are reweighted by
    the channel keep probabilities, plus ``flop_loss_weight`` times a FLOPs
    loss between the expected FLOPs (MFLOPs) and ``target_flops``.
    Distillation is used during the first ``distillation_times``
    iterations.

    Args:
        distiller (dict): ``ConfigurableDistiller`` cfg with teacher and
            student recorders on the architecture (in-place distillation).
        architecture (dict | BaseModel): The supernet.
        mutator_cfg (dict): Defaults to ``DMCPChannelMutator``.
        data_preprocessor (dict, optional): Defaults to the architecture's.
        init_cfg (dict, optional): Init config.
        strategy (list[str]): Defaults to ``['max', 'min', 'arch_random']``.
        arch_start_train (int): Defaults to 10000.
        arch_train_freq (int): Defaults to 500.
        distillation_times (int): Defaults to 20000.
        target_flops (float): MFLOPs. Defaults to 150.
        flops_loss_type (str): 'l2', 'inverted_log_l1', 'log_l1' or 'l1'
            (of the relative FLOPs error). Defaults to 'log_l1'.
        flop_loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 distiller: Dict,
                 architecture: Union[BaseModel, Dict],
                 mutator_cfg: Dict = dict(
                     type=' DMCPChannelMutator',
                     channel_unit_cfg=dict(type='DMCPChannelUnit')),
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None,
                 strategy: List[str] = ['max', 'min', 'arch_random'],
                 arch_start_train: int = 10000,
                 arch_train_freq: int = 500,
                 distillation_times: int = 20000,
                 target_flops: float = 150,
                 flops_loss_type: str = 'log_l1',
                 flop_loss_weight: float = 1.0) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        bad = [s for s in strategy if s not in STRATEGIES]
        if bad or not strategy:
            raise ValueError(f'DMCP: strategy entries must be in '
                             f'{STRATEGIES}, got {list(strategy)}')
        if flops_loss_type not in FLOPS_LOSS_TYPES:
            raise ValueError(f'DMCP: flops_loss_type must be one of '
                             f'{FLOPS_LOSS_TYPES}, got {flops_loss_type!r}')
        if arch_train_freq <= 0 or target_flops <= 0:
            raise ValueError('DMCP: arch_train_freq and target_flops must be '
                             f'positive, got {arch_train_freq}, '
                             f'{target_flops}')
        mutator_cfg = copy.deepcopy(dict(mutator_cfg))
        if isinstance(mutator_cfg.get('type'), str):
            mutator_cfg['type'] = mutator_cfg['type'].strip()
        self.mutator = MODELS.build(mutator_cfg)
        if not isinstance(self.mutator, DMCPChannelMutator):
            raise TypeError('DMCP needs a DMCPChannelMutator, got '
                            f'{type(self.mutator).__name__}')
        self.mutator.prepare_from_supernet(self.architecture)
        self.distiller = MODELS.build(distiller)
        self.distiller.prepare_from_teacher(self.architecture)
        self.distiller.prepare_from_student(self.architecture)
        self.strategy = list(strategy)
        self.arch_start_train = arch_start_train
        self.arch_train_freq = arch_train_freq
        self.distillation_times = distillation_times
        self.target_flops = float(target_flops)
        self.flops_loss_type = flops_loss_type
        self.flop_loss_weight = flop_loss_weight
        self.register_buffer('cur_iter', torch.zeros((), dtype=torch.long))

    # ---------------------------------------------------------------- losses
    def flops_loss(self, flops: torch.Tensor) -> torch.Tensor:
        """The FLOPs loss of the expected ``flops`` (MFLOPs).

        A function of the relative error ``e = (flops - target) / target``:
        ``'l1'``: ``abs(e)``, ``'l2'``: ``e ** 2``, ``'log_l1'``:
        ``log(1 + abs(e))``, ``'inverted_log_l1'``: ``-log(1 - abs(e))``
        (``abs(e)`` capped below 1).

        Args:
            flops (torch.Tensor): The expected FLOPs of the sampled subnet.

        Returns:
            torch.Tensor: The weighted FLOPs loss.
        """
        err = (flops - self.target_flops) / self.target_flops
        if self.flops_loss_type == 'l1':
            loss = err.abs()
        elif self.flops_loss_type == 'l2':
            loss = err**2
        elif self.flops_loss_type == 'log_l1':
            loss = torch.log1p(err.abs())
        else:
            loss = -torch.log1p(-err.abs().clamp(max=1 - 1e-3))
        return loss * self.flop_loss_weight

    def _subnet_loss(self, run: Callable, inputs, data_samples,
                     with_distill: bool) -> Dict:
        if not with_distill:
            return run(inputs, data_samples)
        with self.distiller.student_recorders:
            losses = run(inputs, data_samples)
        losses.update(self.distiller.compute_distill_losses())
        return losses

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict:
        """See :meth:`_train_step`."""
        return self._train_step(data, optim_wrapper)

    def _train_step(self,
                    data: Union[dict, tuple, list],
                    optim_wrapper: OptimWrapperDict,
                    run: Optional[Callable] = None) -> Dict:
        """One DMCP step.

        Args:
            data: The batch.
            optim_wrapper (OptimWrapperDict): ``architecture`` (weights) and
                ``mutator`` (architecture parameters).
            run (Callable, optional): ``run(inputs, data_samples)`` returns
                the loss dict of the architecture (the DDP wrapper passes
                its own forward). Defaults to the architecture's loss.

        Returns:
            dict: The log variables.
        """
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                'architecture' not in optim_wrapper or \
                'mutator' not in optim_wrapper:
            keys = list(optim_wrapper.keys()) if isinstance(
                optim_wrapper, OptimWrapperDict) else \
                type(optim_wrapper).__name__
            raise TypeError(
                'DMCP needs an OptimWrapperDict with `architecture` and '
                f'`mutator` (SeparateOptimWrapperConstructor), got {keys}')
        if run is None:

            def run(inputs, data_samples):
                return self.architecture(inputs, data_samples, mode='loss')

        data = self.data_preprocessor(data, True)
        inputs, data_samples = data['inputs'], data['data_samples']
        it = int(self.cur_iter)
        arch_started = it >= self.arch_start_train
        distill = it < self.distillation_times
        weights_ow: OptimWrapper = optim_wrapper['architecture']
        log_vars: Dict = {}
        with weights_ow.optim_context(self):
            for kind in self.strategy:
                if kind == 'arch_random':
                    mode = 'direct' if arch_started else 'random'
                elif kind == 'scheduled_random':
                    mode = 'direct' if arch_started and \
                        torch.rand(()) < min(1.0, (it - self.arch_start_train)
                                             / max(self.arch_start_train, 1)) \
                        else 'random'
                else:
                    mode = kind
                self.mutator.sample_subnet(mode)
                if mode == 'max':
                    with self.distiller.teacher_recorders:
                        losses = run(inputs, data_samples)
                else:
                    losses = self._subnet_loss(run, inputs, data_samples,
                                               distill)
                loss, sub_log = self.parse_losses(losses)
                weights_ow.backward(loss)
                log_vars.update(add_prefix(sub_log, f'{mode}_subnet1'))
        weights_ow.step()
        weights_ow.zero_grad()

        if arch_started and \
                (it - self.arch_start_train) % self.arch_train_freq == 0:
            arch_ow: OptimWrapper = optim_wrapper['mutator']
            with arch_ow.optim_context(self):
                self.mutator.sample_subnet('max', arch_train=True)
                losses = run(inputs, data_samples)
                arch_loss, arch_log = self.parse_losses(losses)
                self.mutator.sample_subnet('expected')
                flops = self.mutator.expected_flops()
                floss = self.flops_loss(flops)
            arch_ow.update_params(arch_loss + floss)
            weights_ow.zero_grad()
            self.mutator.set_arch_train(False)
            log_vars.update(add_prefix(arch_log, 'arch'))
            log_vars['flops.loss'] = float(floss)
            log_vars['flops.expected'] = float(flops)
        self.mutator.sample_subnet('max')
        self.cur_iter += 1
        return log_vars


@MODEL_WRAPPERS.register_module()
class DMCPDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`DMCP`: the algorithm's own step, with the
    forwards run through DDP."""

    def __init__(self,
                 *,
                 device_ids: Optional[Union[List, int, torch.device]] = None,
                 **kwargs) -> None:
        if device_ids is None:
            import os
            if torch.cuda.is_available() and 'LOCAL_RANK' in os.environ:
                device_ids = [int(os.environ['LOCAL_RANK'])]
        super().__init__(device_ids=device_ids, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict:
        """See :meth:`DMCP._train_step`."""

        def run(inputs, data_samples):
            return self(inputs, data_samples, mode='loss')

        return self.module._train_step(data, optim_wrapper, run)


__all__ = ['DMCP', 'DMCPDDP']
