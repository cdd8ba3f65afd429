# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmrazor.models.utils import make_divisible


class SELayer(BaseModule):
    """Squeeze-and-Excitation Module.

    Args:
        channels (int): The input (and output) channels of the SE layer.
        ratio (int): Squeeze ratio; the intermediate channels are
            ``make_divisible(channels // ratio, divisor)``. Defaults to 16.
        divisor (int): Divisor of the intermediate channels. Defaults to 8.
        conv_cfg (dict, optional): Config of the convolutions.
        act_cfg (dict | Sequence[dict]): Activations of the two convs.
            Defaults to ``(ReLU, HSigmoid)``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 channels: int,
                 ratio: int = 16,
                 divisor: int = 8,
                 conv_cfg: Optional[Dict] = None,
                 act_cfg: Union[Dict, Sequence[Dict]] = (dict(type='ReLU'),
                                                         dict(
                                                             type='HSigmoid',
                                                             bias=3.0,
                                                             divisor=6.0)),
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import ConvModule
        super().__init__(init_cfg)
        if isinstance(act_cfg, dict):
            act_cfg = (act_cfg, act_cfg)
        if len(act_cfg) != 2:
            raise ValueError('act_cfg of SELayer must hold two configs')
        self.global_avgpool = nn.AdaptiveAvgPool2d(1)
        mid = make_divisible(channels // ratio, divisor)
        self.conv1 = ConvModule(
            channels, mid, 1, conv_cfg=conv_cfg, act_cfg=act_cfg[0])
        self.conv2 = ConvModule(
            mid, channels, 1, conv_cfg=conv_cfg, act_cfg=act_cfg[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scale ``x`` channel-wise by its squeezed-excited descriptor."""
        out = self.global_avgpool(x)
        out = self.conv1(out)
        out = self.conv2(out)
        return x * out
