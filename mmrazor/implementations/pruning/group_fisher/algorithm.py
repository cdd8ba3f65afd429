# Copyright (c) OpenMMLab. All rights reserved.
"""Group Fisher pruning: prune one channel every ``interval`` steps."""
import copy
import functools
from typing import Callable, Dict, List, Optional, Union

import torch
from mmengine import dist
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from torch import nn

from mmrazor.models.algorithms.base import BaseAlgorithm
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from mmrazor.utils import print_log
from .mutator import GroupFisherChannelMutator


def _convert_norms(model: nn.Module) -> nn.Module:
    """SyncBN when distributed on GPUs, plain BN otherwise."""
    from mmengine.model import revert_sync_batchnorm
    if dist.is_distributed() and torch.cuda.is_available():
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return revert_sync_batchnorm(model)


@MODELS.register_module()
class GroupFisherAlgorithm(BaseAlgorithm):
    """Group Fisher pruning (Liu et al., Group Fisher Pruning for Practical
    Network Compression, ICML 2021).

    Every training step records, for the channels of every unit, the
    activations and their gradients and accumulates the (group) Fisher
    information; every ``interval`` steps the channel with the lowest
    normalised importance (over all units) is switched off and the
    importance is reset. The pruning state lives in the mask buffers of
    the mutator, so an algorithm checkpoint holds the pruned structure
    (see ``ResourceInfoHook`` and ``GroupFisherSubModel``).

    Args:
        architecture (dict | BaseModel): The model to prune.
        mutator (dict | GroupFisherChannelMutator): The mutator. Defaults
            to ``GroupFisherChannelMutator`` with ``GroupFisherChannelUnit``.
        interval (int): Steps between two pruned channels. Defaults to 10.
        data_preprocessor (dict, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config.
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator: Union[Dict, GroupFisherChannelMutator] = dict(
                     type='GroupFisherChannelMutator',
                     channel_unit_cfg=dict(type='GroupFisherChannelUnit')),
                 interval: int = 10,
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        if not isinstance(interval, int) or isinstance(interval, bool) or \
                interval <= 0:
            raise ValueError('GroupFisherAlgorithm: interval must be a '
                             f'positive int, got {interval!r}')
        self.interval = interval
        self.architecture = _convert_norms(self.architecture)
        if isinstance(mutator, GroupFisherChannelMutator):
            self.mutator = mutator
        elif isinstance(mutator, dict):
            self.mutator = MODELS.build(copy.deepcopy(dict(mutator)))
        else:
            raise TypeError('GroupFisherAlgorithm: mutator must be a dict or '
                            'a GroupFisherChannelMutator, got '
                            f'{type(mutator).__name__}')
        if not isinstance(self.mutator, GroupFisherChannelMutator):
            raise TypeError('GroupFisherAlgorithm needs a '
                            'GroupFisherChannelMutator, got '
                            f'{type(self.mutator).__name__}')
        self.mutator.prepare_from_supernet(self.architecture)
        self.num_steps = 0
        self.pruned: List = []

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One training step that records the importance (and prunes every
        ``interval`` steps)."""
        return self._train_step(data, optim_wrapper)

    def _train_step(
            self,
            data: Union[dict, tuple, list],
            optim_wrapper: OptimWrapper,
            step: Optional[Callable] = None) -> Dict[str, torch.Tensor]:
        """The Group Fisher step around a plain training ``step``.

        Args:
            data: The batch.
            optim_wrapper (OptimWrapper): The optimizer wrapper.
            step (Callable, optional): ``step(data, optim_wrapper)`` runs the
                forward, backward and update (the DDP wrapper passes its
                own). Defaults to :meth:`BaseModel.train_step` of self.

        Returns:
            dict: The log variables.
        """
        if step is None:
            step = functools.partial(BaseModel.train_step, self)
        self.mutator.start_record_info()
        try:
            log_vars = step(data, optim_wrapper)
        finally:
            self.mutator.end_record_info()
        self.mutator.update_imp()
        self.mutator.reset_recorded_info()
        self.num_steps += 1
        if self.num_steps % self.interval == 0:
            pruned = self.mutator.try_prune()
            self.mutator.reset_imp()
            if pruned is not None:
                self.pruned.append(pruned)
                print_log(
                    f'Group Fisher: pruned channel {pruned[1]} of unit '
                    f'{pruned[0]} at step {self.num_steps}',
                    logger='current',
                    level=10)
        return log_vars

    def init_weights(self) -> None:
        """Initialise (or load) the whole algorithm."""
        return super().init_weights()


@MODEL_WRAPPERS.register_module()
class GroupFisherDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`GroupFisherAlgorithm`: its training step runs
    the algorithm's one ``_train_step`` around the DDP step."""

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """See :meth:`GroupFisherAlgorithm._train_step`."""
        return self.module._train_step(
            data, optim_wrapper,
            functools.partial(MMDistributedDataParallel.train_step, self))
