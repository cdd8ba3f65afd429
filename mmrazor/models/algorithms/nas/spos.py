# Copyright (c) OpenMMLab. All rights reserved.
"""Single Path One-Shot NAS."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.models.mutators.base_mutator import BaseMutator
from mmrazor.registry import MODELS
from mmrazor.utils.config_dict import as_config_dict
from ..base import BaseAlgorithm, LossResults
from .supernet_utils import build_nas_mutator, has_unfixed_mutables


@MODELS.register_module()
class SPOS(BaseAlgorithm):
    """Implementation of `SPOS <https://arxiv.org/abs/1904.00420>`_.

    SPOS means Single Path One-Shot, a classic NAS algorithm. Every training
    step samples one path of the supernet uniformly
    (``mutator.sample_choices()``) and trains it. DetNAS is SPOS applied to
    a detector (only configs differ).

    Args:
        architecture (dict | BaseModel): The supernet (e.g. an
            ``ImageClassifier`` with ``SearchableShuffleNetV2``).
        mutator (dict | BaseMutator, optional): The mutator config or
            instance. Defaults to ``dict(type='mmrazor.NasMutator')``.
        norm_training (bool): Keep BN in training mode (batch statistics)
            during evaluation, useful when searching before recalibrating.
            Defaults to False.
        data_preprocessor (dict | nn.Module, optional): The pre-process
            config of ``BaseDataPreprocessor``. Defaults to the
            architecture's.
        init_cfg (dict, optional): Init config for ``BaseModule``.
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 mutator: Optional[Union[BaseMutator, Dict]] = None,
                 norm_training: bool = False,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(architecture, data_preprocessor, init_cfg)
        mutator = as_config_dict(mutator)
        self.mutator = build_nas_mutator(mutator, self.architecture)
        self.norm_training = norm_training

    @property
    def is_supernet(self) -> bool:
        """bool: Whether the architecture still has unfixed mutables."""
        return has_unfixed_mutables(self.architecture)

    def sample_subnet(self) -> Dict:
        """Sample a random subnet (``{group_key: choice}``)."""
        return self.mutator.sample_choices()

    def set_subnet(self, subnet: Dict) -> None:
        """Activate ``subnet`` in the supernet."""
        self.mutator.set_choices(subnet)

    def loss(
        self,
        batch_inputs: torch.Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
    ) -> LossResults:
        """Sample a random path uniformly, then compute its losses."""
        self.set_subnet(self.sample_subnet())
        return self.architecture(batch_inputs, data_samples, mode='loss')

    def train(self, mode: bool = True) -> 'SPOS':
        """Convert the model into eval mode while keeping normalization
        layers in training mode when ``norm_training`` is set."""
        super().train(mode)
        if self.norm_training and not mode:
            for module in self.architecture.modules():
                if isinstance(module, _BatchNorm):
                    module.training = True
        return self
