# Copyright (c) OpenMMLab. All rights reserved.
"""Single-path one-shot mutable modules (SPOS, DetNAS)."""
import random
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Union

import numpy as np
import torch.nn as nn
from torch import Tensor

from mmrazor.registry import MODELS
from mmrazor.utils.config_dict import as_config_dict
from mmrazor.utils.typing import DumpChosen
from ..base_mutable import CHOICE_TYPE, CHOSEN_TYPE
from .mutable_module import MutableModule


class OneShotMutableModule(MutableModule[CHOICE_TYPE, CHOSEN_TYPE]):
    """Base class for one shot mutable module.

    A base type of MUTABLES for single path supernet such as Single Path One
    Shot. All subclasses should implement :meth:`sample_choice`,
    :meth:`forward_choice`, :meth:`forward_fixed` and :meth:`forward_all`.

    Note:
        :meth:`forward_all` is called when calculating FLOPs.
    """

    def forward(self, x: Any) -> Any:
        """Calls :meth:`forward_fixed` in fixed mode, :meth:`forward_all`
        in unfixed mode when ``current_choice`` is None, and
        :meth:`forward_choice` otherwise.

        Args:
            x (Any): input data for forward computation.

        Returns:
            Any: the result of forward.
        """
        if self.is_fixed:
            return self.forward_fixed(x)
        if self.current_choice is None:
            return self.forward_all(x)
        return self.forward_choice(x, choice=self.current_choice)

    @abstractmethod
    def sample_choice(self) -> CHOICE_TYPE:
        """Sample random choice."""

    @abstractmethod
    def forward_choice(self, x: Any, choice: CHOICE_TYPE) -> Any:
        """Forward with the unfixed mutable and a ``choice``."""

    @abstractmethod
    def forward_fixed(self, x: Any) -> Any:
        """Forward with the fixed mutable."""

    @abstractmethod
    def forward_all(self, x: Any) -> Any:
        """Forward all choices (used to calculate FLOPs)."""


@MODELS.register_module()
class OneShotMutableOP(OneShotMutableModule[str, str]):
    """A type of MUTABLES for single path supernet, such as Single Path One
    Shot. In single path supernet, each choice block only has one choice
    invoked at the same time. A path is obtained by sampling all the choice
    blocks.

    Args:
        candidates (dict[str, dict] | nn.ModuleDict): the configs for the
            candidate operations (built with ``MODELS``) or the built
            candidates.
        module_kwargs (dict[str, dict], optional): Module initialization
            named arguments merged into every candidate config. Defaults to
            None.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``.

    Examples:
        >>> import torch
        >>> import torch.nn as nn
        >>> from mmrazor.models.mutables import OneShotMutableOP
        >>> candidates = nn.ModuleDict({
        ...     'conv3x3': nn.Conv2d(32, 32, 3, 1, 1),
        ...     'conv5x5': nn.Conv2d(32, 32, 5, 1, 2),
        ...     'conv7x7': nn.Conv2d(32, 32, 7, 1, 3)})
        >>> input = torch.randn(1, 32, 64, 64)
        >>> op = OneShotMutableOP(candidates)
        >>> op.choices
        ['conv3x3', 'conv5x5', 'conv7x7']
        >>> op.num_choices
        3
        >>> op.is_fixed
        False
        >>> op.current_choice = 'conv3x3'
        >>> unfix_output = op.forward(input)
        >>> torch.all(unfix_output == candidates['conv3x3'](input))
        tensor(True)
        >>> op.fix_chosen('conv3x3')
        >>> fix_output = op.forward(input)
        >>> torch.all(fix_output == unfix_output)
        tensor(True)
        >>> op.choices
        ['conv3x3']
        >>> op.num_choices
        1
        >>> op.is_fixed
        True
    """

    def __init__(self,
                 candidates: Union[Dict[str, Dict], nn.ModuleDict],
                 module_kwargs: Optional[Dict[str, Dict]] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(
            module_kwargs=module_kwargs, alias=alias, init_cfg=init_cfg)
        self._candidates = self._build_ops(candidates, self.module_kwargs,
                                           type(self).__name__)

    @staticmethod
    def _build_ops(candidates: Union[Dict[str, Dict], nn.ModuleDict],
                   module_kwargs: Optional[Dict[str, Dict]] = None,
                   owner: str = 'OneShotMutableOP') -> nn.ModuleDict:
        """Build candidate operations based on choice configs.

        Args:
            candidates (dict[str, dict] | nn.ModuleDict): the configs of the
                candidate operations or the built candidates.
            module_kwargs (dict[str, dict], optional): Module initialization
                named arguments.
            owner (str): The mutable class named in errors.

        Returns:
            nn.ModuleDict: choice name -> candidate operation.
        """
        if not isinstance(candidates, (dict, nn.ModuleDict)):
            raise TypeError(
                f'candidates of {owner} must be a dict of configs or an '
                f'nn.ModuleDict, got {type(candidates).__name__}')
        if len(candidates) == 0:
            raise ValueError(f'candidates of {owner} must not be empty')
        if isinstance(candidates, nn.ModuleDict):
            return candidates
        ops = nn.ModuleDict()
        for name, op_cfg in candidates.items():
            if isinstance(op_cfg, nn.Module):
                ops[name] = op_cfg
                continue
            op_cfg = as_config_dict(op_cfg)
            if not isinstance(op_cfg, dict) or 'type' not in op_cfg:
                raise TypeError(
                    f'candidate {name!r} must be a config dict with a '
                    f'`type` key or a module, got {op_cfg!r}')
            cfg = dict(op_cfg)
            if module_kwargs is not None:
                cfg.update(module_kwargs)
            ops[name] = MODELS.build(cfg)
        return ops

    @property
    def choices(self) -> List[str]:
        """list: all choices."""
        return list(self._candidates.keys())

    def sample_choice(self) -> str:
        """Uniform sampling.

        Returns:
            str: the sampled choice name.
        """
        return random.choice(list(self._candidates._modules))

    def forward_fixed(self, x: Any) -> Tensor:
        """Forward with the fixed mutable.

        Args:
            x (Any): input data for forward computation.

        Returns:
            Tensor: the result of forward the fixed operation.
        """
        return self._candidates[self._chosen](x)

    def forward_choice(self, x: Any, choice: str) -> Tensor:
        """Forward with the unfixed mutable and a choice.

        Args:
            x (Any): input data for forward computation.
            choice (str): the chosen key in ``OneShotMutableOP``.

        Returns:
            Tensor: the result of forward the ``choice`` operation.
        """
        if choice not in self._candidates:
            raise KeyError(f'Choice {choice!r} is not one of the candidates '
                           f'{self.choices}')
        return self._candidates[choice](x)

    def forward_all(self, x: Any) -> Tensor:
        """Forward all choices (used to calculate FLOPs).

        Args:
            x (Any): input data for forward computation.

        Returns:
            Tensor: the sum of the outputs of all the candidates.
        """
        outputs = [op(x) for op in self._candidates.values()]
        return sum(outputs)

    def fix_chosen(self, chosen: str) -> None:
        """Fix mutable with subnet config. This operation would convert
        ``unfixed`` mode to ``fixed`` mode. The :attr:`is_fixed` will be set
        to True and only the selected operation is retained.

        Args:
            chosen (str): the chosen key in ``MUTABLE``.
        """
        if self.is_fixed:
            raise AttributeError(
                'The mode of current MUTABLE is `fixed`. '
                'Please do not call `fix_chosen` function again.')
        if chosen not in self._candidates:
            raise KeyError(f'Chosen {chosen!r} is not one of the candidates '
                           f'{self.choices}')
        for c in self.choices:
            if c != chosen:
                self._candidates.pop(c)
        self._chosen = chosen
        self.current_choice = chosen
        self.is_fixed = True

    def dump_chosen(self) -> DumpChosen:
        """Dump the current choice with all choices as meta.

        Returns:
            DumpChosen: ``chosen`` is the current (or fixed) choice.
        """
        chosen = self._chosen if self.is_fixed else self.current_choice
        if chosen is None:
            raise RuntimeError(
                'current_choice of the mutable is None; set or sample a '
                'choice before dumping it.')
        meta = dict(all_choices=self.choices)
        return DumpChosen(chosen=chosen, meta=meta)


@MODELS.register_module()
class OneShotProbMutableOP(OneShotMutableOP):
    """Sampling candidate operation according to probability.

    Args:
        candidates (dict[str, dict] | nn.ModuleDict): the configs for the
            candidate operations.
        choice_probs (list): the probability of sampling each candidate
            operation; must sum to 1.
        module_kwargs (dict[str, dict], optional): Module initialization
            named arguments. Defaults to None.
        alias (str, optional): alias of the MUTABLE.
        init_cfg (dict, optional): initialization configuration dict for
            ``BaseModule``.
    """

    def __init__(self,
                 candidates: Union[Dict[str, Dict], nn.ModuleDict],
                 choice_probs: List[float] = None,
                 module_kwargs: Optional[Dict[str, Dict]] = None,
                 alias: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(
            candidates=candidates,
            module_kwargs=module_kwargs,
            alias=alias,
            init_cfg=init_cfg)
        if choice_probs is None:
            raise ValueError('OneShotProbMutableOP needs `choice_probs`')
        if len(choice_probs) != len(candidates):
            raise ValueError(
                f'choice_probs has {len(choice_probs)} entries but there are '
                f'{len(candidates)} candidates')
        if abs(sum(choice_probs) - 1) > 1e-6:
            raise ValueError(
                f'choice_probs must sum to 1, got {sum(choice_probs)}')
        self.choice_probs = list(choice_probs)

    def sample_choice(self) -> str:
        """Sampling with probabilities.

        Returns:
            str: the sampled choice name.
        """
        if self.is_fixed:
            return self._chosen
        idx = np.random.choice(len(self.choice_probs), p=self.choice_probs)
        return self.choices[int(idx)]

    def fix_chosen(self, chosen: str) -> None:
        """Fix the mutable and keep only the chosen probability."""
        super().fix_chosen(chosen)
        self.choice_probs = [1.0]
