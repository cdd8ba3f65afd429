# Copyright (c) OpenMMLab. All rights reserved.
"""BigNAS: sandwich-rule supernet training with in-place distillation."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from torch import nn

from mmrazor.models.distillers import ConfigurableDistiller
from mmrazor.models.mutators.base_mutator import BaseMutator
from mmrazor.models.utils import (add_prefix,
                                  reinitialize_optim_wrapper_count_status)
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from ..base import BaseAlgorithm
from ..ddp_device_ids import default_ddp_device_ids
from .supernet_utils import build_nas_mutator, has_unfixed_mutables


def set_dropout(layers: List[nn.Module], module: type,
                dropout_stages: List[int], drop_path_rate: float) -> None:
    """Set the drop-path rate of the ``module`` blocks of the stages in
    ``dropout_stages`` (1-based indices into ``layers``), growing linearly
    with the block index up to ``drop_path_rate``.

    Args:
        layers (list[nn.Module]): The stages.
        module (type): The block type (``MBBlock``).
        dropout_stages (list[int]): 1-based stage indices.
        drop_path_rate (float): The rate of the last block.
    """
    from mmcv.cnn.bricks import DropPath
    for stage in dropout_stages:
        if not 1 <= stage <= len(layers):
            raise ValueError(f'backbone_dropout_stages {dropout_stages} must '
                             f'be in [1, {len(layers)}]')
    blocks = [
        m for idx in dropout_stages for m in layers[idx - 1].modules()
        if isinstance(m, module)
    ]
    for i, block in enumerate(blocks):
        rate = drop_path_rate * (i + 1) / len(blocks)
        if isinstance(block.drop_path, DropPath):
            block.drop_path.drop_prob = rate
        elif rate > 0:
            block.drop_path = DropPath(rate)


@MODELS.register_module()
class BigNAS(BaseAlgorithm):
    """`BigNAS <https://arxiv.org/abs/2003.11142>`_ (also used for
    AttentiveNAS and Once-for-All supernets).

    Every training step follows the sandwich rule: the max subnet is
    trained on the labels (its logits are recorded by the distiller's
    teacher recorders), then the min subnet and ``num_random_samples``
    random subnets are trained with the distillation loss only, against
    the max subnet's logits (in-place distillation). Each subnet calls
    ``optim_wrapper.update_params`` once; the wrapper accumulates over the
    ``len(sample_kinds)`` subnets and steps once. Only the max subnet gets
    the drop-path rate.

    Args:
        architecture (dict | BaseModel): The supernet (e.g. a
            ``SearchableImageClassifier``).
        mutator (dict | BaseMutator, optional): Defaults to
            ``dict(type='mmrazor.NasMutator')``.
        distiller (dict): A ``ConfigurableDistiller`` config whose teacher
            and student recorders both hook the supernet.
        data_preprocessor (dict | nn.Module, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config.
        num_random_samples (int): Random subnets per step. Defaults to 2.
        drop_path_rate (float): Drop-path rate of the max subnet.
            Defaults to 0.2.
        backbone_dropout_stages (list[int]): Backbone stages (1-based)
            whose blocks get drop path. Defaults to [6, 7].
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator: Optional[Union[BaseMutator, Dict]] = None,
                 distiller: Optional[Union[ConfigurableDistiller,
                                           Dict]] = None,
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None,
                 num_random_samples: int = 2,
                 drop_path_rate: float = 0.2,
                 backbone_dropout_stages: List[int] = [6, 7]) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.mutator = build_nas_mutator(mutator, self.architecture)

        if distiller is None:
            raise ValueError('BigNAS needs a `distiller` (a '
                             'ConfigurableDistiller config recording the '
                             'logits of the max and of the other subnets)')
        if isinstance(distiller, dict):
            distiller = MODELS.build(distiller)
        if not isinstance(distiller, ConfigurableDistiller):
            raise TypeError('distiller should be a ConfigurableDistiller, '
                            f'got {type(distiller).__name__}')
        self.distiller = distiller
        self.distiller.prepare_from_teacher(self.architecture)
        self.distiller.prepare_from_student(self.architecture)

        if not isinstance(num_random_samples, int) or num_random_samples < 0:
            raise ValueError('num_random_samples must be a non-negative int, '
                             f'got {num_random_samples!r}')
        self.num_random_samples = num_random_samples
        self.sample_kinds = ['max', 'min'] + [
            f'random{i}' for i in range(num_random_samples)
        ]
        if not 0 <= drop_path_rate < 1:
            raise ValueError(
                f'drop_path_rate must be in [0, 1), got {drop_path_rate}')
        self.drop_path_rate = drop_path_rate
        self.backbone_dropout_stages = list(backbone_dropout_stages)
        self._optim_wrapper_count_status_reinitialized = False

    @property
    def is_supernet(self) -> bool:
        """bool: Whether the architecture still has unfixed mutables."""
        return has_unfixed_mutables(self.architecture)

    def _set_dropout(self, drop_path_rate: float) -> None:
        backbone = getattr(self.architecture, 'backbone', None)
        layers = getattr(backbone, 'layers', None)
        if not self.backbone_dropout_stages or layers is None:
            return
        from mmrazor.models.architectures.ops import MBBlock
        set_dropout(
            list(layers)[:-1], MBBlock, self.backbone_dropout_stages,
            drop_path_rate)

    def set_subnet(self, kind: str) -> None:
        """Activate the ``'max'``, ``'min'`` or a random (``'random*'``)
        subnet, with drop path only on the max."""
        if kind == 'max':
            self.mutator.set_max_choices()
            self._set_dropout(self.drop_path_rate)
        elif kind == 'min':
            self.mutator.set_min_choices()
            self._set_dropout(0.)
        elif kind.startswith('random'):
            self.mutator.set_choices(self.mutator.sample_choices())
            self._set_dropout(0.)
        else:
            raise ValueError(f'unknown sample kind {kind!r}; expected max, '
                             'min or random<i>')

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One sandwich step (max, min and random subnets).

        Returns:
            dict: Log variables prefixed ``max_subnet.``, ``min_subnet.``
            and ``random{i}_subnet.``.
        """
        if not self.is_supernet:
            return super().train_step(data, optim_wrapper)
        return self.sandwich_step(data, optim_wrapper, self)

    def sandwich_step(self, data: Union[dict, tuple, list],
                      optim_wrapper: OptimWrapper,
                      model: nn.Module) -> Dict[str, torch.Tensor]:
        """The sandwich step, running the forwards through ``model``
        (``self``, or the DDP wrapper so that gradients are synced).

        Returns:
            dict: Log variables, see :meth:`train_step`.
        """
        if not self._optim_wrapper_count_status_reinitialized:
            reinitialize_optim_wrapper_count_status(
                model=self,
                optim_wrapper=optim_wrapper,
                accumulative_counts=len(self.sample_kinds))
            self._optim_wrapper_count_status_reinitialized = True

        data = self.data_preprocessor(data, True)
        batch_inputs, data_samples = data['inputs'], data['data_samples']

        total_losses = dict()
        for kind in self.sample_kinds:
            self.set_subnet(kind)
            if kind == 'max':
                with optim_wrapper.optim_context(model), \
                        self.distiller.teacher_recorders:
                    losses = model(batch_inputs, data_samples, mode='loss')
                parsed, log_vars = self.parse_losses(losses)
            else:
                with optim_wrapper.optim_context(model), \
                        self.distiller.student_recorders:
                    model(batch_inputs, data_samples, mode='tensor')
                    losses = self.distiller.compute_distill_losses()
                parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
            total_losses.update(add_prefix(log_vars, f'{kind}_subnet'))
        # drop the recorded logits (they hold the graphs; a deep copy of the
        # supernet, e.g. for export, must not see them)
        for manager in (self.distiller.teacher_recorders,
                        self.distiller.student_recorders):
            for recorder in manager.recorders.values():
                recorder.reset_data_buffer()
        return total_losses


@MODEL_WRAPPERS.register_module()
class BigNASDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`BigNAS`; runs the algorithm's own
    sandwich step (:meth:`BigNAS.sandwich_step`) with the forwards
    through the wrapper.

    Args:
        device_ids (list[int], optional): Defaults to ``[LOCAL_RANK]``
            with CUDA, None (CPU) otherwise.
        **kwargs: ``MMDistributedDataParallel`` arguments.
    """

    def __init__(self,
                 *,
                 device_ids: Optional[Union[List, int, torch.device]] = None,
                 **kwargs) -> None:
        super().__init__(
            device_ids=default_ddp_device_ids(device_ids), **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """:meth:`BigNAS.train_step` with the forwards through this
        wrapper (gradients are all-reduced)."""
        if not self.module.is_supernet:
            return super().train_step(data, optim_wrapper)
        return self.module.sandwich_step(data, optim_wrapper, self)
