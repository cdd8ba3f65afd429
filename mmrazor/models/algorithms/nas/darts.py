# Copyright (c) OpenMMLab. All rights reserved.
"""DARTS: Differentiable Architecture Search."""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as torch_dist
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models.mutators.base_mutator import BaseMutator
from mmrazor.registry import MODEL_WRAPPERS, MODELS
from ..base import BaseAlgorithm
from ..ddp_device_ids import default_ddp_device_ids
from .supernet_utils import build_nas_mutator, has_unfixed_mutables

_OPTIM_KEYS = ('architecture', 'mutator')


class BatchNormWrapper(nn.Module):
    """Keep a BN layer in training mode (batch statistics) whatever the mode
    of its parent (``norm_training``).

    Args:
        bn (nn.Module): The wrapped norm layer.
    """

    def __init__(self, bn: nn.Module) -> None:
        super().__init__()
        self.bn = bn

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` with batch statistics."""
        training = self.bn.training
        self.bn.training = True
        try:
            return self.bn(x)
        finally:
            self.bn.training = training


def _world_size() -> int:
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_world_size()
    return 1


def _average_across_ranks(tensors: Sequence[Optional[Tensor]]) -> None:
    """All-reduce (mean) ``tensors`` in place when distributed."""
    world_size = _world_size()
    if world_size == 1:
        return
    for t in tensors:
        if t is not None:
            torch_dist.all_reduce(t)
            t.div_(world_size)


@MODELS.register_module()
class Darts(BaseAlgorithm):
    """`DARTS <https://arxiv.org/abs/1806.09055>`_.

    The supernet's differentiable mutables (``DiffMutableOP`` edges and
    ``DiffChoiceRoute`` nodes of a :class:`DartsBackbone`) get one
    architecture parameter per search group from
    ``mutator.prepare_arch_params()`` (``randn * 1e-3``, bound to their
    forward). A train step with ``data = (supernet_batch, mutator_batch)``
    (as fed by :class:`DartsEpochBasedTrainLoop`) and an
    ``OptimWrapperDict(architecture=..., mutator=...)`` (from
    ``SeparateOptimWrapperConstructor``):

    1. updates the architecture parameters on the mutator batch:
       first order (``unroll=False``): the gradient of the loss w.r.t. the
       architecture parameters at the current weights; second order
       (``unroll=True``): the gradient at the virtually stepped weights
       ``w' = w - lr * (momentum * m + g + wd * w)`` (lr, momentum, weight
       decay and momentum buffer ``m`` of the weight optimizer, ``g`` the
       supernet-batch gradient), minus ``lr`` times the finite-difference
       Hessian-vector product
       ``(grad_a L_train(w+) - grad_a L_train(w-)) / (2 eps)`` with
       ``w+- = w +- eps * dw'`` and ``eps = 0.01 / ||dw'||``;
    2. updates the weights on the supernet batch.

    Any other ``data``/``optim_wrapper`` gives a plain step. Logged losses
    are prefixed ``mutator.`` and ``supernet.``.

    Args:
        architecture (dict | BaseModel): The supernet.
        mutator (dict | BaseMutator): The mutator. Defaults to
            ``dict(type='mmrazor.NasMutator')``.
        unroll (bool): Second-order approximation. Defaults to False.
        norm_training (bool): Keep BN in training mode during evaluation.
            Defaults to False.
        data_preprocessor (dict | nn.Module, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config.
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator: Optional[Union[BaseMutator, Dict]] = None,
                 unroll: bool = False,
                 norm_training: bool = False,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.mutator = build_nas_mutator(mutator, self.architecture)
        if not hasattr(self.mutator, 'prepare_arch_params'):
            raise TypeError(f'Darts needs a mutator with architecture '
                            f'parameters, got {type(mutator).__name__}')
        self.mutator.prepare_arch_params()
        self.unroll = unroll
        self.norm_training = norm_training

    @property
    def is_supernet(self) -> bool:
        """bool: Whether the architecture still has unfixed mutables."""
        return has_unfixed_mutables(self.architecture)

    def sample_subnet(self) -> Dict:
        """The subnet chosen by the architecture parameters."""
        return self.mutator.sample_choices()

    def set_subnet(self, subnet: Dict) -> None:
        """Activate ``subnet`` (used when exporting it)."""
        self.mutator.set_choices(subnet)

    def train(self, mode: bool = True) -> 'Darts':
        """Set the mode; with ``norm_training`` BN stays in training mode."""
        super().train(mode)
        if self.norm_training and not mode:
            for module in self.architecture.modules():
                if isinstance(module, _BatchNorm):
                    module.training = True
        return self

    # ----------------------------------------------------------------- step
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One DARTS step (architecture, then weights) or a plain step.

        Args:
            data (dict | tuple | list): A batch, or ``(supernet_batch,
                mutator_batch)``.
            optim_wrapper (OptimWrapper): ``OptimWrapperDict`` with the
                keys ``architecture`` and ``mutator`` for a DARTS step.

        Returns:
            dict[str, Tensor]: The log variables.
        """
        return self._darts_train_step(self, data, optim_wrapper)

    @staticmethod
    def _is_darts_step(data: Any, optim_wrapper: OptimWrapper) -> bool:
        if not isinstance(optim_wrapper, OptimWrapperDict):
            return False
        missing = [k for k in _OPTIM_KEYS if k not in optim_wrapper]
        if missing:
            raise KeyError(
                'Darts needs optim_wrapper keys `architecture` (weights) and '
                f'`mutator` (arch params); missing {missing}, got '
                f'{list(optim_wrapper.keys())}')
        if isinstance(data, (list, tuple)):
            if len(data) != 2 or not all(
                    isinstance(d, dict) or d is None for d in data):
                raise ValueError(
                    'Darts expects data = (supernet_batch, mutator_batch), '
                    f'got a {type(data).__name__} of length {len(data)}')
            if data[1] is None:
                raise ValueError('Darts: the mutator batch is missing; feed '
                                 '(supernet_batch, mutator_batch) with '
                                 'DartsEpochBasedTrainLoop and a '
                                 '`mutator_dataloader`')
            return True
        raise ValueError(
            'Darts with an OptimWrapperDict(architecture, mutator) expects '
            'data = (supernet_batch, mutator_batch); the mutator batch is '
            'missing (train with mmrazor.DartsEpochBasedTrainLoop or '
            'DartsIterBasedTrainLoop and a `mutator_dataloader`)')

    def _darts_train_step(self, model: nn.Module, data: Any,
                          optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """The step shared by :class:`Darts` and :class:`DartsDDP`.

        ``model`` runs the weight step's forward (the DDP wrapper, whose
        backward synchronises the gradients); the architecture gradients
        are computed on ``self`` and averaged across ranks explicitly.
        """
        if not self._is_darts_step(data, optim_wrapper):
            with optim_wrapper.optim_context(model):
                batch = self.data_preprocessor(data, True)
                losses = model(**batch, mode='loss')
            parsed, log_vars = self.parse_losses(losses)
            optim_wrapper.update_params(parsed)
            return log_vars

        supernet_data, mutator_data = data
        weight_wrapper = optim_wrapper['architecture']
        arch_wrapper = optim_wrapper['mutator']
        log_vars: Dict[str, Tensor] = dict()

        # 1. architecture parameters, on the mutator batch
        mutator_batch = self.data_preprocessor(mutator_data, True)
        arch_params = self._arch_param_list()
        with arch_wrapper.optim_context(self):
            if self.unroll:
                supernet_batch = self.data_preprocessor(supernet_data, True)
                arch_grads, arch_log = self._unrolled_arch_grads(
                    supernet_batch, mutator_batch, weight_wrapper, arch_params)
            else:
                losses = self(**mutator_batch, mode='loss')
                loss, arch_log = self.parse_losses(losses)
                arch_grads = list(
                    torch.autograd.grad(loss, arch_params, allow_unused=True))
        _average_across_ranks(arch_grads)
        for param, grad in zip(arch_params, arch_grads):
            param.grad = torch.zeros_like(param) if grad is None else grad
        arch_wrapper.step()
        arch_wrapper.zero_grad()
        log_vars.update({f'mutator.{k}': v for k, v in arch_log.items()})

        # 2. weights, on the supernet batch
        with weight_wrapper.optim_context(model):
            batch = self.data_preprocessor(supernet_data, True)
            losses = model(**batch, mode='loss')
        loss, weight_log = self.parse_losses(losses)
        weight_wrapper.update_params(loss)
        # the weight backward also reached the arch params: drop it
        for param in arch_params:
            param.grad = None
        log_vars.update({f'supernet.{k}': v for k, v in weight_log.items()})
        return log_vars

    def _arch_param_list(self) -> List[nn.Parameter]:
        params = self.mutator.arch_params
        if params is None or len(params) == 0:
            raise RuntimeError('Darts: the mutator has no architecture '
                               'parameters')
        return list(params.values())

    # ------------------------------------------------------- second order
    def _weight_params(
        self, weight_wrapper: OptimWrapper
    ) -> List[Tuple[nn.Parameter, Dict, torch.optim.Optimizer]]:
        """(param, param_group, optimizer) of every trainable weight."""
        optimizer = weight_wrapper.optimizer
        arch_ids = {id(p) for p in self._arch_param_list()}
        out = []
        for group in optimizer.param_groups:
            for p in group['params']:
                if p.requires_grad and id(p) not in arch_ids:
                    out.append((p, group, optimizer))
        return out

    def _unrolled_arch_grads(
        self, supernet_batch: Dict, mutator_batch: Dict,
        weight_wrapper: OptimWrapper, arch_params: List[nn.Parameter]
    ) -> Tuple[List[Tensor], Dict[str, Tensor]]:
        """Second-order architecture gradient of DARTS (eq. 7-8)."""
        weights = self._weight_params(weight_wrapper)
        params = [p for p, _, _ in weights]
        buffers = [b.detach().clone() for b in self.architecture.buffers()]
        backup = [p.detach().clone() for p in params]

        # virtual step w' = w - lr * (momentum * m + g + wd * w)
        loss, _ = self.parse_losses(self(**supernet_batch, mode='loss'))
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        grads = [
            torch.zeros_like(p) if g is None else g
            for p, g in zip(params, grads)
        ]
        _average_across_ranks(grads)
        with torch.no_grad():
            for (p, group, optimizer), g in zip(weights, grads):
                lr = group['lr']
                momentum = group.get('momentum', 0.0) or 0.0
                wd = group.get('weight_decay', 0.0) or 0.0
                step = g + wd * p
                buf = optimizer.state.get(p, {}).get('momentum_buffer')
                if buf is not None and momentum:
                    step = step + momentum * buf
                p.sub_(lr * step)

        # validation loss at w': grads w.r.t. alpha and w'
        losses = self(**mutator_batch, mode='loss')
        val_loss, log_vars = self.parse_losses(losses)
        val_grads = torch.autograd.grad(
            val_loss, arch_params + params, allow_unused=True)
        d_alpha = [
            torch.zeros_like(a) if g is None else g
            for a, g in zip(arch_params, val_grads[:len(arch_params)])
        ]
        d_w = [
            torch.zeros_like(p) if g is None else g
            for p, g in zip(params, val_grads[len(arch_params):])
        ]
        _average_across_ranks(d_w)

        # finite-difference Hessian-vector product around w
        norm = torch.cat([g.reshape(-1) for g in d_w]).norm()
        eps = 0.01 / max(float(norm), 1e-12)

        def arch_grad_at(sign: float) -> List[Tensor]:
            with torch.no_grad():
                for p, w0, d in zip(params, backup, d_w):
                    p.copy_(w0).add_(d, alpha=sign * eps)
            train_loss, _ = self.parse_losses(
                self(**supernet_batch, mode='loss'))
            out = torch.autograd.grad(
                train_loss, arch_params, allow_unused=True)
            return [
                torch.zeros_like(a) if g is None else g
                for a, g in zip(arch_params, out)
            ]

        grad_pos = arch_grad_at(1.0)
        grad_neg = arch_grad_at(-1.0)
        with torch.no_grad():
            for p, w0 in zip(params, backup):
                p.copy_(w0)
            for b, b0 in zip(self.architecture.buffers(), buffers):
                b.copy_(b0)
        lrs = {id(p): group['lr'] for p, group, _ in weights}
        lr = next(iter(lrs.values())) if lrs else 0.0
        if len(set(lrs.values())) > 1:
            raise ValueError('Darts(unroll=True) needs one learning rate for '
                             'all the weights; the weight optimizer has '
                             f'{sorted(set(lrs.values()))}')
        arch_grads = [
            da - lr * (gp - gn) / (2 * eps)
            for da, gp, gn in zip(d_alpha, grad_pos, grad_neg)
        ]
        return arch_grads, log_vars


@MODEL_WRAPPERS.register_module()
class DartsDDP(MMDistributedDataParallel):
    """DDP wrapper of :class:`Darts`: it runs the algorithm's own train step
    with this wrapper doing the weight forward (so its backward synchronises
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
        """Run :meth:`Darts.train_step` with this wrapper's forward."""
        return self.module._darts_train_step(self, data, optim_wrapper)
