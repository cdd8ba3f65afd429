# Copyright (c) OpenMMLab. All rights reserved.
"""AutoFormer: one-shot search of vision transformers."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn

from mmrazor.models.mutators.base_mutator import BaseMutator
from mmrazor.registry import MODELS
from mmrazor.structures.subnet.fix_subnet import load_fix_subnet
from mmrazor.utils import ValidFixMutable
from ..base import BaseAlgorithm, LossResults
from .supernet_utils import build_nas_mutator, has_unfixed_mutables


@MODELS.register_module()
class Autoformer(BaseAlgorithm):
    """Implementation of `AutoFormer <https://arxiv.org/abs/2107.00651>`_.

    The supernet (e.g. a ``SearchableImageClassifier`` with an
    ``AutoformerBackbone``) shares its weights among all subnets. Every
    training step samples one subnet uniformly
    (``mutator.sample_choices()``: embedding dims, depth, and the heads
    and MLP ratio of each block) and trains it; the subnets are then
    searched with ``EvolutionSearchLoop``.

    Args:
        architecture (dict | BaseModel): The supernet.
        mutator (dict | BaseMutator, optional): The mutator. Defaults to
            ``dict(type='mmrazor.NasMutator')``.
        fix_subnet (str | dict, optional): A subnet (yaml path or dict) to
            fix the supernet to; the architecture is then a static subnet
            and no mutator is built. Defaults to None.
        data_preprocessor (dict | nn.Module, optional): Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config for ``BaseModule``.
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator: Optional[Union[BaseMutator, Dict]] = None,
                 fix_subnet: Optional[ValidFixMutable] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(architecture, data_preprocessor, init_cfg)
        if fix_subnet:
            load_fix_subnet(self.architecture, fix_subnet)
            self.mutator = None
            return
        self.mutator = build_nas_mutator(mutator, self.architecture)

    @property
    def is_supernet(self) -> bool:
        """bool: Whether the architecture still has unfixed mutables."""
        return has_unfixed_mutables(self.architecture)

    def sample_subnet(self, kind: str = 'random') -> Dict:
        """Sample a subnet (``{group_key: choice}``); ``kind`` is
        ``'random'``, ``'max'`` or ``'min'``."""
        if self.mutator is None:
            raise RuntimeError('Autoformer with a fixed subnet has no search '
                               'space to sample from')
        return self.mutator.sample_choices(kind)

    def set_subnet(self, subnet: Dict) -> None:
        """Activate ``subnet`` in the supernet."""
        if self.mutator is None:
            raise RuntimeError('Autoformer with a fixed subnet can not '
                               'change its subnet')
        self.mutator.set_choices(subnet)

    def loss(
        self,
        batch_inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> LossResults:
        """Sample a random subnet (supernet training), then compute its
        losses."""
        if self.mutator is not None:
            self.set_subnet(self.sample_subnet())
        return self.architecture(batch_inputs, data_samples, mode='loss')
