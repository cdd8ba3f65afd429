# Copyright (c) OpenMMLab. All rights reserved.
"""Mutator set-up and supernet test shared by the NAS algorithms."""
from typing import Dict, Optional, Union

from torch import nn

from mmrazor.models.mutables.base_mutable import BaseMutable
from mmrazor.models.mutators.base_mutator import BaseMutator
from mmrazor.registry import MODELS


def build_nas_mutator(mutator: Optional[Union[BaseMutator, Dict]],
                      architecture: nn.Module) -> BaseMutator:
    """Build ``mutator`` (``NasMutator`` when None) and prepare it from the
    supernet ``architecture``.

    Args:
        mutator (BaseMutator | dict, optional): The mutator or its config.
        architecture (nn.Module): The supernet.

    Returns:
        BaseMutator: The prepared mutator.

    Raises:
        TypeError: ``mutator`` is neither a dict nor a ``BaseMutator``.
    """
    if mutator is None:
        mutator = dict(type='mmrazor.NasMutator')
    if isinstance(mutator, dict):
        mutator = MODELS.build(mutator)
    if not isinstance(mutator, BaseMutator):
        raise TypeError('mutator should be a `dict` or a `BaseMutator` '
                        f'instance, but got {type(mutator).__name__}')
    mutator.prepare_from_supernet(architecture)
    return mutator


def has_unfixed_mutables(architecture: nn.Module) -> bool:
    """Whether ``architecture`` still has unfixed mutables (a supernet).

    Args:
        architecture (nn.Module): The architecture.

    Returns:
        bool: True when a mutable is not fixed.
    """
    return any(
        isinstance(m, BaseMutable) and not m.is_fixed
        for m in architecture.modules())
