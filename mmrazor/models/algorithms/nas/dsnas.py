# Copyright (c) OpenMMLab. All rights reserved.
"""DSNAS: Direct Neural Architecture Search without Parameter Retraining."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.distributed as torch_dist
from mmengine.logging import MessageHub
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models.mutables import OneHotMutableOP
from mmrazor.models.mutators.base_mutator import BaseMutator
from mmrazor.registry import MODEL_WRAPPERS, MODELS, TASK_UTILS
from ..base import BaseAlgorithm
from ..ddp_device_ids import default_ddp_device_ids
from .darts import _average_across_ranks, _world_size
from .supernet_utils import build_nas_mutator, has_unfixed_mutables

_OPTIM_KEYS = ('architecture', 'mutator')


@MODELS.register_module()
class DSNAS(BaseAlgorithm):
    """`DSNAS <https://arxiv.org/abs/2002.09128>`_: single-path search with
    one-hot sampled paths and architecture parameters, trained in one run.

    The supernet's :class:`OneHotMutableOP` s get one architecture parameter
    per search group (``mutator.prepare_arch_params()``). Before that, the
    FLOPs of every candidate op are counted once with the estimator
    (``estimate_separation_modules``) into :attr:`candidate_flops`, plus the
    FLOPs of the rest of the network (:attr:`base_flops`).

    Each train step samples one path (every mutable draws a one-hot weight),
    runs the supernet loss on it and updates the weights. By epoch
    (``MessageHub`` ``epoch``):

    * ``epoch < pretrain_epochs``: paths are sampled uniformly, only the
      weights are trained;
    * ``pretrain_epochs <= epoch < finetune_epochs``: paths are sampled by
      ``softmax(arch_param)`` and the architecture parameters are updated
      too: the DSNAS gradient ``(sum_i dL/dw_i) * grad log p(w)``
      (the ``arch_loss = sum log(sum w * softmax(alpha))`` term, scaled by
      ``handle_grads``), plus, when the sampled subnet has more FLOPs than
      ``flops_constraints`` (M), the gradient of ``flops_loss = 1e-2 *
      expected FLOPs / flops_constraints`` (expected FLOPs of the mutables
      under ``softmax(alpha)``, in M);
    * ``epoch >= finetune_epochs``: on the first such step the architecture
      parameters are broadcast from rank 0 and every mutable is fixed to its
      argmax op; the subnet is trained.

    Requires ``OptimWrapperDict(architecture=..., mutator=...)``. Logged
    keys: the supernet losses, ``arch_loss`` and ``flops_loss`` (with the
    sampled ``subnet_flops``) while searching.

    Args:
        architecture (dict | BaseModel): The supernet.
        mutator (dict | BaseMutator): Defaults to
            ``dict(type='mmrazor.NasMutator')``.
        pretrain_epochs (int): Epochs of supernet-only training. Defaults
            to 0.
        finetune_epochs (int): The epoch at which the subnet is fixed.
            Defaults to 80.
        flops_constraints (float): FLOPs budget in M. Defaults to 300.0.
        estimator_cfg (dict, optional): The estimator; defaults to
            ``dict(type='mmrazor.ResourceEstimator')`` (input 1x3x224x224,
            FLOPs in M).
        norm_training (bool): Keep BN in training mode during evaluation.
            Defaults to False.
        data_preprocessor (dict | nn.Module, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config.
    """

    flops_loss_coef = 1e-2

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator: Optional[Union[BaseMutator, Dict]] = None,
                 pretrain_epochs: int = 0,
                 finetune_epochs: int = 80,
                 flops_constraints: float = 300.0,
                 estimator_cfg: Optional[Dict] = None,
                 norm_training: bool = False,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        if not 0 <= pretrain_epochs <= finetune_epochs:
            raise ValueError('DSNAS needs 0 <= pretrain_epochs <= '
                             f'finetune_epochs, got {pretrain_epochs} and '
                             f'{finetune_epochs}')
        if flops_constraints <= 0:
            raise ValueError('DSNAS: flops_constraints (M) must be '
                             f'positive, got {flops_constraints}')
        self.mutator = build_nas_mutator(mutator, self.architecture)
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.flops_constraints = float(flops_constraints)
        self.norm_training = norm_training

        if estimator_cfg is None:
            estimator_cfg = dict(type='mmrazor.ResourceEstimator')
        self.estimator = TASK_UTILS.build(copy.deepcopy(estimator_cfg))
        self.candidate_flops, self.base_flops = self._count_flops()
        self.mutator.prepare_arch_params()

    # ------------------------------------------------------------ FLOPs
    def _one_hot_mutables(self) -> List[Tuple[str, OneHotMutableOP]]:
        mutables = [(name, m) for name, m in self.architecture.named_modules()
                    if isinstance(m, OneHotMutableOP)]
        if not mutables:
            raise RuntimeError('DSNAS needs OneHotMutableOP mutables in the '
                               'architecture, found none')
        return mutables

    def _count_flops(self) -> Tuple[Dict[str, Dict[str, float]], float]:
        """FLOPs (M) of every candidate and of the rest of the network."""
        spec = []
        for name, mutable in self._one_hot_mutables():
            spec.extend(f'{name}._candidates.{c}' for c in mutable.choices)
        was_training = self.architecture.training
        self.architecture.eval()
        try:
            total = self.estimator.estimate(self.architecture)['flops']
            separate = self.estimator.estimate_separation_modules(
                self.architecture, dict(spec_modules=spec))
        finally:
            self.architecture.train(was_training)
        table: Dict[str, Dict[str, float]] = dict()
        for name, mutable in self._one_hot_mutables():
            table[name] = {
                c: float(separate[f'{name}._candidates.{c}']['flops'])
                for c in mutable.choices
            }
        base = float(total) - sum(sum(v.values()) for v in table.values())
        return table, base

    def _group_param(self, mutable: OneHotMutableOP) -> Tensor:
        param = mutable.bound_arch_param
        if param is None:
            raise RuntimeError('DSNAS: a OneHotMutableOP has no bound '
                               'architecture parameter')
        return param

    def subnet_flops(self) -> float:
        """FLOPs (M) of the last sampled path (fixed mutables count their
        chosen op)."""
        flops = self.base_flops
        for name, mutable in self._one_hot_mutables():
            if mutable.is_fixed:
                flops += sum(self.candidate_flops[name][c]
                             for c in mutable.choices)
            elif mutable.arch_weights is not None:
                index = int(mutable.arch_weights.detach().argmax())
                flops += self.candidate_flops[name][
                    mutable._unfixed_choices[index]]
        return flops

    def expected_flops(self) -> Tensor:
        """Differentiable expected FLOPs (M) of the unfixed mutables under
        ``softmax(arch_param)``."""
        total = torch.zeros(())
        for name, mutable in self._one_hot_mutables():
            if mutable.is_fixed:
                continue
            probs = mutable.compute_arch_probs(self._group_param(mutable))
            flops = torch.tensor([
                self.candidate_flops[name][c] for c in mutable._unfixed_choices
            ],
                                 dtype=probs.dtype,
                                 device=probs.device)
            total = total.to(probs.device) + (probs * flops).sum()
        return total

    # ------------------------------------------------------------- state
    @property
    def is_supernet(self) -> bool:
        """bool: Whether the architecture still has unfixed mutables."""
        return has_unfixed_mutables(self.architecture)

    def train(self, mode: bool = True) -> 'DSNAS':
        """Set the mode; with ``norm_training`` BN stays in training mode."""
        super().train(mode)
        if self.norm_training and not mode:
            for module in self.architecture.modules():
                if isinstance(module, _BatchNorm):
                    module.training = True
        return self

    def fix_subnet(self) -> None:
        """Broadcast the arch params from rank 0 and fix every mutable to
        its argmax op."""
        if _world_size() > 1:
            for param in self.mutator.arch_params.values():
                torch_dist.broadcast(param.data, 0)
        for _, mutable in self._one_hot_mutables():
            if not mutable.is_fixed:
                mutable.fix_chosen(
                    mutable.sample_choice(self._group_param(mutable)))

    def handle_grads(self) -> List[Tensor]:
        """Architecture gradients from the last backward: for every unfixed
        mutable, ``(sum_i dL/dw_i) * grad_alpha log p(w)``, accumulated per
        search group; ``arch_weights.grad`` is reset."""
        grads = {
            id(p): torch.zeros_like(p)
            for p in self.mutator.arch_params.values()
        }
        for _, mutable in self._one_hot_mutables():
            if mutable.is_fixed:
                continue
            param = self._group_param(mutable)
            grad = mutable.arch_param_grad(param)
            if grad is not None:
                grads[id(param)] += grad
            if mutable.arch_weights is not None:
                mutable.arch_weights.grad = None
        return [grads[id(p)] for p in self.mutator.arch_params.values()]

    # -------------------------------------------------------------- step
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One DSNAS step (see the class docstring).

        Args:
            data (dict): A batch.
            optim_wrapper (OptimWrapperDict): ``architecture`` and
                ``mutator`` wrappers.

        Returns:
            dict[str, Tensor]: The log variables.
        """
        return self._dsnas_train_step(self, data, optim_wrapper)

    def _dsnas_train_step(self, model: nn.Module, data: Union[dict, tuple,
                                                              list],
                          optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        if not isinstance(optim_wrapper, OptimWrapperDict) or any(
                k not in optim_wrapper for k in _OPTIM_KEYS):
            keys = list(optim_wrapper.keys()) if isinstance(
                optim_wrapper,
                OptimWrapperDict) else type(optim_wrapper).__name__
            raise KeyError('DSNAS needs an OptimWrapperDict with the keys '
                           f'`architecture` and `mutator`, got {keys}')
        epoch = int(MessageHub.get_current_instance().get_info('epoch', 0))
        if epoch >= self.finetune_epochs and self.is_supernet:
            self.fix_subnet()
        searching = self.is_supernet and epoch >= self.pretrain_epochs
        for _, mutable in self._one_hot_mutables():
            mutable.random_sample = epoch < self.pretrain_epochs

        weight_wrapper = optim_wrapper['architecture']
        with weight_wrapper.optim_context(model):
            batch = self.data_preprocessor(data, True)
            losses = model(**batch, mode='loss')
        loss, log_vars = self.parse_losses(losses)
        weight_wrapper.update_params(loss)

        if searching:
            arch_params = list(self.mutator.arch_params.values())
            grads = self.handle_grads()
            arch_loss = sum(
                m.log_prob(self._group_param(m))
                for _, m in self._one_hot_mutables()
                if not m.is_fixed and m.arch_weights is not None)
            subnet_flops = self.subnet_flops()
            flops_loss = torch.zeros(())
            if subnet_flops > self.flops_constraints:
                flops_loss = self.flops_loss_coef * self.expected_flops() / \
                    self.flops_constraints
                flops_grads = torch.autograd.grad(
                    flops_loss, arch_params, allow_unused=True)
                grads = [
                    g if f is None else g + f
                    for g, f in zip(grads, flops_grads)
                ]
            _average_across_ranks(grads)
            for param, grad in zip(arch_params, grads):
                param.grad = grad
            optim_wrapper['mutator'].step()
            optim_wrapper['mutator'].zero_grad()
            log_vars['arch_loss'] = torch.as_tensor(arch_loss).detach()
            log_vars['flops_loss'] = flops_loss.detach()
            log_vars['subnet_flops'] = torch.tensor(subnet_flops)
        for param in self.mutator.arch_params.values():
            param.grad = None
        return log_vars


@MODEL_WRAPPERS.register_module()
class DSNASDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`DSNAS`: it runs the algorithm's own train
    step with this wrapper doing the forward (so its backward synchronises
    the weight gradients); the architecture gradients are averaged across
    ranks by the step.

    Args:
        device_ids (list[int], optional): Defaults to ``[LOCAL_RANK]`` on
            GPU machines, None on CPU.
        **kwargs: Other arguments of ``MMDistributedDataParallel``.
    """

    def __init__(self,
                 *,
                 device_ids: Optional[Union[List, int, torch.device]] = None,
                 **kwargs) -> None:
        super().__init__(
            device_ids=default_ddp_device_ids(device_ids), **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """Run :meth:`DSNAS.train_step` with this wrapper's forward."""
        return self.module._dsnas_train_step(self, data, optim_wrapper)
