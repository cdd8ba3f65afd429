# Copyright (c) OpenMMLab. All rights reserved.
"""Differentiable mutable modules (DARTS-style architecture search)."""
from abc import abstractmethod
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmrazor.registry import MODELS
from mmrazor.utils.typing import DumpChosen
from ..base_mutable import CHOICE_TYPE, CHOSEN_TYPE
from .mutable_module import MutableModule
from .one_shot_mutable_module import OneShotMutableOP


class DiffMutableModule(MutableModule[CHOICE_TYPE, CHOSEN_TYPE]):
    """Base class for differentiable mutables.

    The architecture parameters are owned by the mutator
    (:meth:`NasMutator.prepare_arch_params`) and handed to the mutable as
    the ``arch_param`` argument of :meth:`forward`, usually bound once with
    :meth:`set_forward_args`.

    Args:
        module_kwargs (dict[str, dict], optional): Module initialization
            named arguments. Defaults to None.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``. Defaults to None.

    Note:
        :meth:`forward_all` is called when calculating FLOPs.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)

    def forward(self, x: Any, arch_param: Optional[nn.Parameter] = None):
        """Calls :meth:`forward_fixed` in fixed mode, :meth:`forward_all`
        when ``arch_param`` is None and :meth:`forward_arch_param`
        otherwise.

        Args:
            x (Any): input data for forward computation.
            arch_param (nn.Parameter, optional): the architecture
                parameters of the mutable's search group.

        Returns:
            Any: the result of forward.
        """
        if self.is_fixed:
            return self.forward_fixed(x)
        if arch_param is None:
            return self.forward_all(x)
        return self.forward_arch_param(x, arch_param=arch_param)

    def compute_arch_probs(self, arch_param: nn.Parameter) -> Tensor:
        """Choice probabilities: ``softmax(arch_param)``.

        Args:
            arch_param (nn.Parameter): architecture parameters.

        Returns:
            Tensor: the probabilities, same shape as ``arch_param``.
        """
        return F.softmax(arch_param, -1)

    def set_forward_args(self, arch_param: nn.Parameter) -> None:
        """Bind ``arch_param`` to :meth:`forward` (a ``partial``), so that
        the mutable can be called as ``mutable(x)`` inside the supernet.

        Args:
            arch_param (nn.Parameter): architecture parameters.
        """
        if not isinstance(arch_param, Tensor):
            raise TypeError('arch_param must be a tensor/nn.Parameter, got '
                            f'{type(arch_param).__name__}')
        if arch_param.numel() != self.num_arch_choices:
            raise ValueError(
                f'arch_param of {type(self).__name__} must have '
                f'{self.num_arch_choices} elements (one per choice of the '
                f'supernet), got {arch_param.numel()}')
        # ``type(self).forward`` avoids nesting partials on repeated calls
        self.forward = partial(type(self).forward, self, arch_param=arch_param)
        # kept out of ``_parameters``: the mutator owns the parameter
        self.__dict__['_bound_arch_param'] = arch_param

    @property
    def bound_arch_param(self) -> Optional[Tensor]:
        """Tensor | None: the architecture parameter bound by
        :meth:`set_forward_args` (None before)."""
        return self.__dict__.get('_bound_arch_param')

    @property
    def num_arch_choices(self) -> int:
        """int: the size of the architecture parameter: the number of
        choices before fixing."""
        return len(self._unfixed_choices)

    @abstractmethod
    def forward_fixed(self, x: Any) -> Any:
        """Forward when the mutable is fixed."""

    @abstractmethod
    def forward_all(self, x: Any) -> Any:
        """Forward all choices (used to calculate FLOPs)."""

    @abstractmethod
    def forward_arch_param(self, x: Any, arch_param: nn.Parameter) -> Any:
        """Forward weighted by the architecture parameters."""

    @abstractmethod
    def sample_choice(self, arch_param: Tensor) -> CHOICE_TYPE:
        """Choice chosen by the architecture parameters."""

    def _dump_chosen_list(self) -> DumpChosen:
        """The chosen names as a list (the DARTS subnet format), with all
        the unfixed choices as meta."""
        if self.is_fixed:
            chosen = list(self._chosen)
        else:
            if self.current_choice is None:
                raise RuntimeError(
                    f'current_choice of the {type(self).__name__} is None; '
                    'sample or set a choice before dumping it.')
            current = self.current_choice
            chosen = [current] if isinstance(current, str) else list(current)
        return DumpChosen(
            chosen=chosen, meta=dict(all_choices=list(self._unfixed_choices)))


def _check_arch_param(mutable: DiffMutableModule, arch_param: Tensor) -> None:
    if arch_param.dim() != 1 or \
            arch_param.numel() != mutable.num_arch_choices:
        raise ValueError(
            f'{type(mutable).__name__} has {mutable.num_arch_choices} '
            f'choices but arch_param has shape {tuple(arch_param.shape)}')


@MODELS.register_module()
class DiffMutableOP(DiffMutableModule[str, Union[str, List[str]]]):
    """A type of MUTABLES for differentiable architecture search, such as
    DARTS. The output is the sum of the candidates weighted by
    ``softmax(arch_param)``; the choice is the argmax of ``arch_param``.

    Args:
        candidates (dict[str, dict] | nn.ModuleDict): the configs for the
            candidate operations (built with ``MODELS``) or the built
            candidates.
        fix_threshold (float): When ``top1 - top2 >= fix_threshold`` for the
            two largest probabilities in :meth:`forward_arch_param`, the
            mutable fixes itself to the top-1 op (irreversible). The
            default 1.0 means "only when one op has all the probability".
        module_kwargs (dict[str, dict], optional): Module initialization
            named arguments. Defaults to None.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict.

    Examples:
        >>> import torch
        >>> import torch.nn as nn
        >>> from mmrazor.models.mutables import DiffMutableOP
        >>> op = DiffMutableOP(nn.ModuleDict({
        ...     'same': nn.Identity(), 'relu': nn.ReLU()}))
        >>> arch_param = nn.Parameter(torch.tensor([1.0, 1.0]))
        >>> x = torch.tensor([1.0, -1.0])
        >>> op(x, arch_param)  # 0.5 * x + 0.5 * relu(x)
        tensor([ 1.0000, -0.5000], grad_fn=<AddBackward0>)
        >>> op.sample_choice(torch.tensor([0.1, 0.3]))
        'relu'
        >>> op.fix_chosen('same')
        >>> op.choices
        ['same']
        >>> op.dump_chosen().chosen
        ['same']
    """

    def __init__(self,
                 candidates: Union[Dict[str, Dict], nn.ModuleDict],
                 fix_threshold: float = 1.0,
                 module_kwargs: Optional[Dict[str, Dict]] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(
            module_kwargs=module_kwargs, alias=alias, init_cfg=init_cfg)
        if not 0.0 <= float(fix_threshold) <= 1.0:
            raise ValueError('fix_threshold of DiffMutableOP must be in '
                             f'[0, 1], got {fix_threshold}')
        self.fix_threshold = float(fix_threshold)
        self._candidates = OneShotMutableOP._build_ops(candidates,
                                                       self.module_kwargs,
                                                       type(self).__name__)
        self._unfixed_choices = list(self._candidates.keys())
        self._chosen: List[str] = []

    @property
    def choices(self) -> List[str]:
        """list: all (remaining) choices."""
        return list(self._candidates.keys())

    def forward_fixed(self, x: Any) -> Tensor:
        """Sum of the outputs of the chosen ops.

        Args:
            x (Any): input data for forward computation.

        Returns:
            Tensor: the result of the fixed operation(s).
        """
        return sum(self._candidates[c](x) for c in self._chosen)

    def forward_arch_param(self, x: Any, arch_param: nn.Parameter) -> Tensor:
        """``sum_i softmax(arch_param)_i * op_i(x)`` over the ops with a
        non-zero probability.

        Args:
            x (Any): input data for forward computation.
            arch_param (nn.Parameter): architecture parameters.

        Returns:
            Tensor: the weighted sum.
        """
        _check_arch_param(self, arch_param)
        probs = self.compute_arch_probs(arch_param)
        if self._fix_if_decided(arch_param, probs):
            return self.forward_fixed(x)
        keep = (probs.detach() > 0).tolist()
        return sum(
            op(x) * prob
            for prob, op, k in zip(probs, self._candidates.values(), keep)
            if k)

    def _fix_if_decided(self, arch_param: Tensor, probs: Tensor) -> bool:
        """Fix the mutable to the top-1 op when the two largest
        probabilities differ by ``fix_threshold`` or more.

        Args:
            arch_param (Tensor): architecture parameters.
            probs (Tensor): their probabilities.

        Returns:
            bool: Whether the mutable fixed itself.
        """
        if self.num_choices > 1:
            top2 = torch.topk(probs.detach(), 2).values
            if float(top2[0] - top2[1]) >= self.fix_threshold:
                self.fix_chosen(self.sample_choice(arch_param))
                return True
        return False

    def forward_all(self, x: Any) -> Tensor:
        """Sum of the outputs of all the candidates (used for FLOPs).

        Args:
            x (Any): input data for forward computation.

        Returns:
            Tensor: the sum.
        """
        return sum(op(x) for op in self._candidates.values())

    def sample_choice(self, arch_param: Tensor) -> str:
        """The choice of the largest architecture parameter.

        Args:
            arch_param (Tensor): architecture parameters.

        Returns:
            str: the argmax choice (the fixed choice once fixed).
        """
        if self.is_fixed:
            return self._chosen[0]
        _check_arch_param(self, arch_param)
        return self._unfixed_choices[int(
            torch.argmax(self._masked_zero(arch_param.detach())).item())]

    def _masked_zero(self, values: Tensor) -> Tensor:
        """``values`` with the entries of the "zero" candidates (ops with
        ``is_zero_op = True``, e.g. ``DartsZero``) set to ``-inf``, unless
        every candidate is one: DARTS never derives a "none" edge."""
        zero = [
            bool(getattr(self._candidates[c], 'is_zero_op', False))
            if c in self._candidates else False for c in self._unfixed_choices
        ]
        if not any(zero) or all(zero):
            return values
        mask = torch.tensor(zero, device=values.device)
        return values.masked_fill(mask, float('-inf'))

    def edge_strength(self) -> float:
        """The DARTS strength of this edge: the largest probability of a
        non-zero candidate under the bound architecture parameter.

        Returns:
            float: the strength (1.0 once fixed).
        """
        if self.is_fixed:
            return 1.0
        arch_param = self.bound_arch_param
        if arch_param is None:
            raise RuntimeError(
                'DiffMutableOP.edge_strength needs the architecture '
                'parameter bound by `set_forward_args` (prepare_arch_params)')
        probs = self.compute_arch_probs(arch_param.detach())
        return float(self._masked_zero(probs).max())

    def fix_chosen(self, chosen: Union[str, List[str]]) -> None:
        """Fix the mutable to ``chosen`` (one op name or a list of names,
        as in DARTS subnet files) and drop the other candidates.

        Args:
            chosen (str | list[str]): the chosen op(s).
        """
        if self.is_fixed:
            raise AttributeError(
                'The mode of current MUTABLE is `fixed`. '
                'Please do not call `fix_chosen` function again.')
        names = [chosen] if isinstance(chosen, str) else list(chosen)
        if not names:
            raise ValueError('DiffMutableOP.fix_chosen needs at least one '
                             'op name')
        bad = [n for n in names if n not in self._candidates]
        if bad:
            raise KeyError(f'Chosen {bad} not in the candidates '
                           f'{self.choices} of DiffMutableOP')
        for c in self.choices:
            if c not in names:
                self._candidates.pop(c)
        self._chosen = names
        self.current_choice = names[0] if len(names) == 1 else names
        self.is_fixed = True

    def dump_chosen(self) -> DumpChosen:
        """Dump the chosen op(s) as a list (the DARTS subnet format).

        Returns:
            DumpChosen: ``chosen`` is a list of op names, ``meta`` has
            ``all_choices``.
        """
        return self._dump_chosen_list()


@MODELS.register_module()
class DiffChoiceRoute(DiffMutableModule[List[str], List[str]]):
    """Selects inputs from several edges (one input per edge), as the
    nodes of a DARTS cell. With ``with_arch_param`` the edge outputs are
    weighted by ``softmax(arch_param)``; otherwise they are summed. The
    choice is the ``num_chosen`` edges with the largest parameters.

    Args:
        edges (nn.ModuleDict): edge name -> ``nn.Module`` (possibly a
            :class:`DiffMutableModule`).
        num_chosen (int): the number of edges kept. Defaults to 2.
        with_arch_param (bool): weight the edges by the architecture
            parameters in :meth:`forward_arch_param`. Defaults to False.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict.

    Examples:
        >>> import torch
        >>> import torch.nn as nn
        >>> from mmrazor.models.mutables import DiffChoiceRoute
        >>> route = DiffChoiceRoute(nn.ModuleDict({
        ...     'p0': nn.Identity(), 'p1': nn.Identity(),
        ...     'p2': nn.Identity()}), num_chosen=2, with_arch_param=True)
        >>> route.sample_choice(torch.tensor([0.3, -1.0, 0.5]))
        ['p2', 'p0']
        >>> x = [torch.ones(2), 2 * torch.ones(2), 3 * torch.ones(2)]
        >>> route(x, nn.Parameter(torch.zeros(3)))  # (1 + 2 + 3) / 3
        tensor([2., 2.], grad_fn=<AddBackward0>)
        >>> route.fix_chosen(['p0', 'p2'])
        >>> route(x)
        tensor([4., 4.])
    """

    def __init__(self,
                 edges: nn.ModuleDict,
                 num_chosen: int = 2,
                 with_arch_param: bool = False,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(alias=alias, init_cfg=init_cfg)
        if not isinstance(edges, nn.ModuleDict):
            raise TypeError(f'edges of {type(self).__name__} must be an '
                            f'nn.ModuleDict, got {type(edges).__name__}')
        if not isinstance(num_chosen, int) or not \
                1 <= num_chosen <= len(edges):
            raise ValueError(
                f'num_chosen of {type(self).__name__} must be an int in '
                f'[1, {len(edges)}] (the number of edges), got {num_chosen}')
        self._candidates = edges
        self.num_chosen = num_chosen
        self.with_arch_param = with_arch_param
        self._unfixed_choices = list(edges.keys())
        self._chosen: List[str] = []

    @property
    def choices(self) -> List[str]:
        """list: all (remaining) edge names."""
        return list(self._candidates.keys())

    def _check_inputs(self, inputs: Sequence) -> None:
        if not isinstance(inputs, (list, tuple)) or \
                len(inputs) != len(self._unfixed_choices):
            n = len(inputs) if isinstance(inputs, (list, tuple)) else None
            raise ValueError(
                f'{type(self).__name__} expects a list of '
                f'{len(self._unfixed_choices)} inputs (one per edge '
                f'{self._unfixed_choices}), got {type(inputs).__name__} '
                f'of length {n}')

    def forward_fixed(self, inputs: Union[List, tuple]) -> Tensor:
        """Sum of the chosen edges applied to their inputs.

        Args:
            inputs (list | tuple): one input per edge of the supernet.

        Returns:
            Tensor: the result.
        """
        self._check_inputs(inputs)
        return sum(self._candidates[name](x)
                   for name, x in zip(self._unfixed_choices, inputs)
                   if name in self._chosen)

    def forward_arch_param(self, x: Union[List, tuple],
                           arch_param: nn.Parameter) -> Tensor:
        """Edges weighted by the probabilities (or summed when
        ``with_arch_param`` is False).

        Args:
            x (list | tuple): one input per edge.
            arch_param (nn.Parameter): architecture parameters.

        Returns:
            Tensor: the result.
        """
        if not self.with_arch_param:
            return self.forward_all(x)
        self._check_inputs(x)
        _check_arch_param(self, arch_param)
        probs = self.compute_arch_probs(arch_param)
        keep = (probs.detach() > 0).tolist()
        return sum(
            op(inp) * prob for prob, op, inp, k in zip(
                probs, self._candidates.values(), x, keep) if k)

    def forward_all(self, x: Union[List, tuple]) -> Tensor:
        """Sum of all the edges applied to their inputs.

        Args:
            x (list | tuple): one input per edge.

        Returns:
            Tensor: the sum.
        """
        self._check_inputs(x)
        return sum(op(inp) for op, inp in zip(self._candidates.values(), x))

    def sample_choice(self, arch_param: Tensor) -> List[str]:
        """The ``num_chosen`` edges with the largest parameters, in
        decreasing order.

        Args:
            arch_param (Tensor): architecture parameters.

        Returns:
            list[str]: the chosen edges (the fixed ones once fixed).
        """
        if self.is_fixed:
            return list(self._chosen)
        _check_arch_param(self, arch_param)
        scores = arch_param.detach()
        if not self.with_arch_param:
            # the route's own parameter is unused in the forward: rank the
            # edges as DARTS does, by their strongest non-zero op
            edges = list(self._candidates.values())
            if all(hasattr(e, 'edge_strength') for e in edges):
                scores = torch.tensor([e.edge_strength() for e in edges])
        order = torch.argsort(scores, descending=True, stable=True)
        return [self._unfixed_choices[int(i)] for i in order[:self.num_chosen]]

    def fix_chosen(self, chosen: List[str]) -> None:
        """Keep only the ``chosen`` edges (irreversible).

        Args:
            chosen (list[str]): the chosen edge names.
        """
        if self.is_fixed:
            raise AttributeError(
                'The mode of current MUTABLE is `fixed`. '
                'Please do not call `fix_chosen` function again.')
        names = [chosen] if isinstance(chosen, str) else list(chosen)
        bad = [n for n in names if n not in self._candidates]
        if bad or not names:
            raise KeyError(f'Chosen edges {names} must be a non-empty '
                           f'subset of the edges {self.choices} of '
                           f'{type(self).__name__}')
        if len(set(names)) != self.num_chosen:
            raise ValueError(
                f'{type(self).__name__} keeps num_chosen={self.num_chosen} '
                f'distinct input edges, got {len(set(names))}: {names}')
        for c in self.choices:
            if c not in names:
                self._candidates.pop(c)
        self._chosen = names
        self.current_choice = names
        self.is_fixed = True

    def unchosen_edge_paths(self, chosen: List[str]) -> List[str]:
        """Module paths (relative to this route) of the edges that
        ``chosen`` drops; subnet export/load skip the mutables inside them.

        Args:
            chosen (list[str]): the chosen edge names.

        Returns:
            list[str]: e.g. ``['_candidates.p1']``.
        """
        chosen = [chosen] if isinstance(chosen, str) else list(chosen)
        return [
            f'_candidates.{name}' for name in self.choices
            if name not in chosen
        ]

    def dump_chosen(self) -> DumpChosen:
        """Dump the chosen edges.

        Returns:
            DumpChosen: ``chosen`` is a list of edge names, ``meta`` has
            ``all_choices``.
        """
        return self._dump_chosen_list()


@MODELS.register_module()
class GumbelChoiceRoute(DiffChoiceRoute):
    """A :class:`DiffChoiceRoute` whose edge weights are sampled with
    ``F.gumbel_softmax(arch_param, tau, hard)`` (a one-hot vector with
    straight-through gradients when ``hard``).

    Args:
        edges (nn.ModuleDict): edge name -> module.
        tau (float): the Gumbel-softmax temperature. Defaults to 1.0.
        hard (bool): one-hot (straight-through) weights. Defaults to True.
        num_chosen (int): edges kept by :meth:`sample_choice`. Defaults
            to 2.
        with_arch_param (bool): weight the edges by the sampled weights.
            Defaults to False.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict.
    """

    def __init__(self,
                 edges: nn.ModuleDict,
                 tau: float = 1.0,
                 hard: bool = True,
                 num_chosen: int = 2,
                 with_arch_param: bool = False,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(
            edges=edges,
            num_chosen=num_chosen,
            with_arch_param=with_arch_param,
            alias=alias,
            init_cfg=init_cfg)
        self.set_temperature(tau)
        self.hard = hard

    def set_temperature(self, tau: float) -> None:
        """Set the temperature of the Gumbel softmax.

        Args:
            tau (float): a positive temperature.
        """
        if not tau > 0:
            raise ValueError(f'tau of {type(self).__name__} must be '
                             f'positive, got {tau}')
        self.tau = float(tau)

    def compute_arch_probs(self, arch_param: nn.Parameter) -> Tensor:
        """Gumbel-softmax weights.

        Args:
            arch_param (nn.Parameter): architecture parameters (logits).

        Returns:
            Tensor: the (one-hot when ``hard``) weights.
        """
        return F.gumbel_softmax(arch_param, tau=self.tau, hard=self.hard)
