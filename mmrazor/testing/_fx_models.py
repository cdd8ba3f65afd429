# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from mmrazor.registry import MODELS


@MODELS.register_module()
class ConvBNReLU(nn.Module):
    """A small conv-bn-relu model for FX / quantization tests.

    Args:
        in_channel (int): Input channels.
        out_channel (int): Output channels.
        kernel_size (int): Kernel size. Defaults to 3.
        stride (int): Defaults to 1.
        padding (int): Defaults to 0.
        dilation (int): Defaults to 1.
        groups (int): Defaults to 1.
        bias (str | bool): Defaults to 'auto'.
        conv_cfg (dict, optional): Conv config.
        norm_cfg (dict, optional): Norm config. Defaults to BN.
        act_cfg (dict): Activation config. Defaults to ReLU.
        inplace (bool): Defaults to True.
        with_spectral_norm (bool): Defaults to False.
        padding_mode (str): Defaults to 'zeros'.
        order (tuple): Defaults to ('conv', 'norm', 'act').
        init_cfg (dict, optional): Unused; kept for signature compatibility.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 kernel_size: Union[int, Tuple[int, int]] = 3,
                 stride: Union[int, Tuple[int, int]] = 1,
                 padding: Union[int, Tuple[int, int]] = 0,
                 dilation: Union[int, Tuple[int, int]] = 1,
                 groups: int = 1,
                 bias: Union[str, bool] = 'auto',
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 inplace: bool = True,
                 with_spectral_norm: bool = False,
                 padding_mode: str = 'zeros',
                 order: tuple = ('conv', 'norm', 'act'),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__()
        self.conv_module = ConvModule(in_channel, out_channel, kernel_size,
                                      stride, padding, dilation, groups, bias,
                                      conv_cfg, norm_cfg, act_cfg, inplace,
                                      with_spectral_norm, padding_mode, order)
        self.toy_model = nn.Sequential(
            nn.Conv2d(out_channel, out_channel, 3, padding=1),
            nn.BatchNorm2d(out_channel), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """conv_module → (conv, bn, relu) → flatten."""
        x = self.conv_module.conv(x)
        x = self.conv_module.norm(x)
        x = self.conv_module.activate(x)
        x = self.toy_model(x)
        return torch.flatten(x, 1)
