# Copyright (c) OpenMMLab. All rights reserved.
"""One-hot sampled mutable op of DSNAS."""
from typing import Any, Dict, Optional, Union

import torch
import torch.nn as nn
from torch import Tensor
from torch.distributions import OneHotCategorical

from mmrazor.registry import MODELS
from mmrazor.utils.typing import DumpChosen
from .diff_mutable_module import DiffMutableOP, _check_arch_param


@MODELS.register_module()
class OneHotMutableOP(DiffMutableOP):
    """A type of MUTABLES for one-hot sample based architecture search, such
    as `DSNAS <https://arxiv.org/abs/2002.09128>`_.

    Every training forward samples one-hot ``arch_weights`` from
    ``OneHotCategorical(softmax(arch_param))`` (uniformly when
    :attr:`random_sample` is set, e.g. while the supernet is pretrained),
    runs only the sampled op and outputs ``w_k * op_k(x)`` with ``w_k = 1``.
    ``arch_weights`` is a leaf that requires grad: after the backward,
    ``arch_weights.grad`` holds ``dL/dw``, from which the DSNAS
    straight-through estimator computes the architecture gradient
    (:meth:`arch_param_grad`). In eval mode the argmax op runs. When the two
    largest probabilities differ by ``fix_threshold`` or more, the mutable
    fixes itself to the best op.

    Args:
        candidates (dict[str, dict] | nn.ModuleDict): the configs for the
            candidate operations or the built candidates.
        fix_threshold (float): The auto-fix threshold. Defaults to 1.0.
        module_kwargs (dict[str, dict], optional): Module initialization
            named arguments. Defaults to None.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict.

    Examples:
        >>> import torch
        >>> import torch.nn as nn
        >>> from mmrazor.models.mutables import OneHotMutableOP
        >>> op = OneHotMutableOP(nn.ModuleDict({
        ...     'double': nn.Linear(1, 1), 'same': nn.Identity()}))
        >>> arch_param = nn.Parameter(torch.tensor([0.0, 30.0]))
        >>> op(torch.ones(1, 1), arch_param)  # samples 'same'
        tensor([[1.]], grad_fn=<MulBackward0>)
        >>> op.arch_weights.tolist()
        [0.0, 1.0]
    """

    def __init__(self,
                 candidates: Union[Dict[str, Dict], nn.ModuleDict],
                 fix_threshold: float = 1.0,
                 module_kwargs: Optional[Dict[str, Dict]] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(
            candidates=candidates,
            fix_threshold=fix_threshold,
            module_kwargs=module_kwargs,
            alias=alias,
            init_cfg=init_cfg)
        #: sample uniformly instead of by the arch probabilities
        self.random_sample = False
        self.arch_weights: Optional[Tensor] = None

    def sample_weights(self,
                       arch_param: nn.Parameter,
                       probs: Tensor,
                       random_sample: bool = False) -> Tensor:
        """Sample one-hot arch weights.

        Args:
            arch_param (nn.Parameter): architecture parameters.
            probs (Tensor): the probabilities of the choices.
            random_sample (bool): sample uniformly. Defaults to False.

        Returns:
            Tensor: a one-hot vector (a leaf requiring grad).
        """
        probs = probs.detach()
        if random_sample:
            probs = torch.ones_like(probs)
        weights = OneHotCategorical(probs=probs).sample()
        return weights.requires_grad_(True)

    def forward_arch_param(self, x: Any, arch_param: nn.Parameter) -> Tensor:
        """Run the sampled op (the argmax op in eval mode), scaled by its
        one-hot weight.

        Args:
            x (Any): input data for forward computation.
            arch_param (nn.Parameter): architecture parameters.

        Returns:
            Tensor: the result.
        """
        _check_arch_param(self, arch_param)
        probs = self.compute_arch_probs(arch_param)
        if self._fix_if_decided(arch_param, probs):
            return self.forward_fixed(x)
        if self.training:
            self.arch_weights = self.sample_weights(arch_param, probs,
                                                    self.random_sample)
        else:
            weights = torch.zeros_like(probs.detach())
            weights[int(probs.detach().argmax())] = 1.0
            self.arch_weights = weights.requires_grad_(True)
        index = int(self.arch_weights.detach().argmax())
        op = list(self._candidates.values())[index]
        return op(x) * self.arch_weights[index]

    def arch_param_grad(self, arch_param: Tensor) -> Optional[Tensor]:
        """The DSNAS gradient of ``arch_param`` for the last sampled path:
        ``(sum_i dL/dw_i) * grad_alpha log p(w)``, where ``p(w)`` is the
        probability of the sampled one-hot ``w`` under ``softmax(alpha)``
        (``grad_alpha log p(w) = w - softmax(alpha)``).

        Args:
            arch_param (Tensor): architecture parameters.

        Returns:
            Tensor | None: the gradient, None when nothing was sampled or
            no gradient reached ``arch_weights``.
        """
        weights = self.arch_weights
        if self.is_fixed or weights is None or weights.grad is None:
            return None
        probs = self.compute_arch_probs(arch_param.detach())
        return weights.grad.sum() * (weights.detach() - probs)

    def log_prob(self, arch_param: Tensor) -> Tensor:
        """``log(sum(arch_weights * softmax(arch_param)))`` of the last
        sampled path (the DSNAS architecture loss term).

        Args:
            arch_param (Tensor): architecture parameters.

        Returns:
            Tensor: a scalar.
        """
        if self.arch_weights is None:
            raise RuntimeError('OneHotMutableOP.log_prob: no path sampled '
                               'yet (run a forward first)')
        probs = self.compute_arch_probs(arch_param)
        return torch.log((self.arch_weights.detach() * probs).sum())

    def dump_chosen(self) -> DumpChosen:
        """Dump the chosen op as a string (the SPOS/DSNAS subnet format,
        ``backbone.layers.0.0: {chosen: shuffle_7x7}``).

        Returns:
            DumpChosen: ``chosen`` is the op name, ``meta`` has
            ``all_choices``.
        """
        dumped = super().dump_chosen()
        chosen = dumped.chosen
        if isinstance(chosen, list) and len(chosen) == 1:
            chosen = chosen[0]
        return DumpChosen(chosen=chosen, meta=dumped.meta)

    def fix_chosen(self, chosen) -> None:
        """Fix the op (see :meth:`DiffMutableOP.fix_chosen`)."""
        super().fix_chosen(chosen)
        self.arch_weights = None
