# Copyright (c) OpenMMLab. All rights reserved.
"""AutoSlim: slimmable supernet training with the sandwich rule."""
import copy
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models.distillers import ConfigurableDistiller
from mmrazor.models.mutators import OneShotChannelMutator
from mmrazor.models.utils import (add_prefix,
                                  reinitialize_optim_wrapper_count_status)
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from ..base import BaseAlgorithm
from ..ddp_device_ids import default_ddp_device_ids


@MODELS.register_module()
class AutoSlim(BaseAlgorithm):
    """`AutoSlim <https://arxiv.org/abs/1903.11728>`_: one-shot channel
    search on a slimmable supernet.

    Every training iteration follows the sandwich rule: the max subnet
    (widest, trained on the labels, its logits recorded by the teacher
    recorders), the min subnet and ``num_random_samples`` random subnets
    (each trained on the labels plus in-place distillation from the max
    subnet's logits). Each subnet calls ``optim_wrapper.update_params``
    once; the optim wrapper accumulates ``len(sample_kinds)`` of them into
    one optimizer step. The widths are then searched greedily by
    ``AutoSlimGreedySearchLoop``.

    Args:
        mutator (dict | OneShotChannelMutator): The channel mutator (units
            with ``candidate_choices``).
        distiller (dict | ConfigurableDistiller): The in-place distiller;
            its teacher and student recorders both watch the supernet.
        architecture (dict | BaseModel): The supernet.
        data_preprocessor (dict, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config.
        num_random_samples (int): Random subnets per iteration. Defaults
            to 2.
        norm_training (bool): Keep BN in training mode (batch statistics)
            in evaluation, used by the search. Defaults to False.
    """

    def __init__(self,
                 mutator: Union[Dict, OneShotChannelMutator],
                 distiller: Union[Dict, ConfigurableDistiller],
                 architecture: Union[BaseModel, Dict],
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None,
                 num_random_samples: int = 2,
                 norm_training: bool = False) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        if isinstance(mutator, dict):
            mutator = MODELS.build(copy.deepcopy(dict(mutator)))
        if not isinstance(mutator, OneShotChannelMutator):
            raise TypeError('AutoSlim needs a OneShotChannelMutator (max / '
                            f'min / random subnets), got '
                            f'{type(mutator).__name__}')
        self.mutator = mutator
        self.mutator.prepare_from_supernet(self.architecture)
        if isinstance(distiller, dict):
            distiller = MODELS.build(copy.deepcopy(dict(distiller)))
        if not isinstance(distiller, ConfigurableDistiller):
            raise TypeError('AutoSlim needs a ConfigurableDistiller, got '
                            f'{type(distiller).__name__}')
        self.distiller = distiller
        self.distiller.prepare_from_teacher(self.architecture)
        self.distiller.prepare_from_student(self.architecture)
        if int(num_random_samples) < 0:
            raise ValueError('num_random_samples must be >= 0, got '
                             f'{num_random_samples}')
        self.num_random_samples = int(num_random_samples)
        self.sample_kinds: List[str] = ['max', 'min'] + [
            f'random{i}' for i in range(self.num_random_samples)
        ]
        self.norm_training = norm_training
        self._optim_wrapper_count_status_reinitialized = False

    # subnets -----------------------------------------------------------------
    def sample_subnet(self) -> Dict:
        """A random subnet ``{unit_name: choice}``."""
        return self.mutator.sample_choices()

    def set_subnet(self, subnet: Dict) -> None:
        """Activate ``subnet``."""
        self.mutator.set_choices(subnet)

    def set_max_subnet(self) -> None:
        """Activate the widest subnet."""
        self.mutator.set_max_choices()

    def set_min_subnet(self) -> None:
        """Activate the narrowest subnet."""
        self.mutator.set_min_choices()

    # training ----------------------------------------------------------------
    def train_step(self, data: Union[Dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """The sandwich rule with in-place distillation (see the class).

        Returns:
            dict: Log variables prefixed ``max_subnet.``, ``min_subnet.``
            and ``random{i}_subnet.``.
        """
        return self._train_step(self, data, optim_wrapper)

    def _train_step(self, model: nn.Module, data: Union[Dict, tuple, list],
                    optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """The training step, forwarding through ``model`` (this algorithm
        or its DDP wrapper)."""
        if not self._optim_wrapper_count_status_reinitialized:
            reinitialize_optim_wrapper_count_status(
                model=model,
                optim_wrapper=optim_wrapper,
                accumulative_counts=len(self.sample_kinds))
            self._optim_wrapper_count_status_reinitialized = True
        batch = self.data_preprocessor(data, True)
        total: Dict[str, torch.Tensor] = dict()
        for kind in self.sample_kinds:
            if kind == 'max':
                self.set_max_subnet()
                with optim_wrapper.optim_context(model), \
                        self.distiller.teacher_recorders:
                    losses = model(**batch, mode='loss')
                    parsed, log_vars = self.parse_losses(losses)
                    optim_wrapper.update_params(parsed)
                total.update(add_prefix(log_vars, 'max_subnet'))
                continue
            if kind == 'min':
                self.set_min_subnet()
            else:
                self.set_subnet(self.sample_subnet())
            with optim_wrapper.optim_context(model), \
                    self.distiller.student_recorders:
                losses = model(**batch, mode='loss')
                losses.update(self.distiller.compute_distill_losses())
                parsed, log_vars = self.parse_losses(losses)
                optim_wrapper.update_params(parsed)
            total.update(add_prefix(log_vars, f'{kind}_subnet'))
        return total

    def train(self, mode: bool = True) -> 'AutoSlim':
        """Set the mode; with ``norm_training`` the norm layers stay in
        training mode in evaluation."""
        super().train(mode)
        if self.norm_training and not mode:
            for module in self.architecture.modules():
                if isinstance(module, _BatchNorm):
                    module.training = True
        return self


@MODEL_WRAPPERS.register_module()
class AutoSlimDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`AutoSlim` (runs its training step through the
    wrapper).

    Args:
        device_ids (list[int], optional): Defaults to ``[LOCAL_RANK]`` when
            CUDA is available, None on CPU.
        **kwargs: Passed to ``MMDistributedDataParallel``.
    """

    def __init__(self, *, device_ids: Optional[List] = None, **kwargs) -> None:
        super().__init__(
            device_ids=default_ddp_device_ids(device_ids), **kwargs)

    def train_step(self, data: Union[Dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """The algorithm's training step, forwarding through DDP."""
        return self.module._train_step(self, data, optim_wrapper)
