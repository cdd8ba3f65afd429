# Copyright (c) OpenMMLab. All rights reserved.
"""Global mean pooling with dropout (BigNAS / OFA neck)."""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmrazor.registry import MODELS


@MODELS.register_module()
class SqueezeMeanPoolingWithDropout(BaseModule):
    """Average every spatial dimension away, then apply dropout in
    training.

    Args:
        drop_ratio (float): Dropout probability. Defaults to 0.2.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 drop_ratio: float = 0.2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not 0 <= drop_ratio < 1:
            raise ValueError(
                f'drop_ratio must be in [0, 1), got {drop_ratio}')
        self.drop_ratio = drop_ratio

    @staticmethod
    def dimension_reduction(x: torch.Tensor) -> torch.Tensor:
        """Mean over every dimension after the channels: (N, C, ...) ->
        (N, C)."""
        if x.dim() < 2:
            raise ValueError('SqueezeMeanPoolingWithDropout expects (N, C, '
                             f'...) inputs, got shape {tuple(x.shape)}')
        if x.dim() == 2:
            return x
        return x.mean(dim=tuple(range(2, x.dim())))

    def forward(
        self, inputs: Union[Tuple[torch.Tensor, ...], torch.Tensor]
    ) -> Union[Tuple[torch.Tensor, ...], torch.Tensor]:
        """Pool (and drop out) each input feature."""

        def one(x):
            x = self.dimension_reduction(x)
            if self.drop_ratio > 0:
                x = F.dropout(x, p=self.drop_ratio, training=self.training)
            return x

        if isinstance(inputs, tuple):
            return tuple(one(x) for x in inputs)
        if isinstance(inputs, torch.Tensor):
            return one(inputs)
        raise TypeError('SqueezeMeanPoolingWithDropout expects a tensor or a '
                        f'tuple of tensors, got {type(inputs).__name__}')
