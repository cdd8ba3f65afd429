# Copyright (c) OpenMMLab. All rights reserved.
"""Mutator of differentiable mutables (DARTS)."""
from typing import Any, Dict

from mmrazor.registry import MODELS
from ...mutables.mutable_module import DiffMutableModule
from .module_mutator import ModuleMutator


@MODELS.register_module()
class DiffModuleMutator(ModuleMutator):
    """Differentiable module mutator (DARTS).

    It manages every :class:`DiffMutableModule` of a supernet (integer
    group keys ``0, 1, ...``). After :meth:`prepare_from_supernet`, call
    :meth:`prepare_arch_params` to create one architecture parameter per
    group (``randn(num_choices) * 1e-3``, registered as parameters of the
    mutator under ``arch_params.<group>``) and bind it to the mutables'
    forward. :meth:`sample_choices` then returns the argmax op of each
    :class:`DiffMutableOP` group and the top-``num_chosen`` edges of each
    :class:`DiffChoiceRoute` group.

    Args:
        custom_group (list[list[str]], optional): Custom groups of mutable
            names or aliases. ``custom_groups`` is accepted too.
            Defaults to None.
        init_cfg (dict, optional): The config to control the
            initialization. Defaults to None.

    Examples:
        >>> import torch.nn as nn
        >>> from mmrazor.models.mutables import DiffMutableOP
        >>> from mmrazor.models.mutators import DiffModuleMutator
        >>> net = nn.Sequential(
        ...     DiffMutableOP(nn.ModuleDict({'a': nn.Identity(),
        ...                                  'b': nn.ReLU()})),
        ...     DiffMutableOP(nn.ModuleDict({'a': nn.Identity(),
        ...                                  'b': nn.ReLU()})))
        >>> mutator = DiffModuleMutator(custom_groups=[['0', '1']])
        >>> mutator.prepare_from_supernet(net)
        >>> params = mutator.prepare_arch_params()
        >>> list(params.keys()), tuple(params['0'].shape)
        (['0'], (2,))
    """

    @property
    def mutable_class_type(self) -> tuple:
        """tuple: the managed mutable types."""
        return (DiffMutableModule, )

    def sample_choices(self, kind: str = 'random') -> Dict[int, Any]:
        """The choices selected by the architecture parameters.

        Args:
            kind (str): Ignored for the groups with architecture
                parameters (kept for the common mutator API).

        Returns:
            dict: group id -> choice (op name or list of edge names).
        """
        if self.arch_params is None:
            raise RuntimeError(
                'DiffModuleMutator.sample_choices needs the architecture '
                'parameters; call `prepare_arch_params()` first.')
        return super().sample_choices(kind)
