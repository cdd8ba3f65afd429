# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional, Tuple, Union

import torch

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class ConvModuleConnector(BaseConnector):
    """An mmcv ``ConvModule`` (conv / norm / activation) that aligns the
    student's channels with the teacher's.

    Args:
        in_channel (int): Input channels.
        out_channel (int): Output channels.
        kernel_size (int | tuple): Defaults to 1.
        stride (int | tuple): Defaults to 1.
        padding (int | tuple): Defaults to 0.
        dilation (int | tuple): Defaults to 1.
        groups (int): Defaults to 1.
        bias (bool | str): Defaults to ``'auto'``.
        conv_cfg (dict, optional): Conv layer config.
        norm_cfg (dict, optional): Norm layer config.
        act_cfg (dict, optional): Activation config; None for no
            activation. Defaults to ``dict(type='ReLU')``.
        inplace (bool): In-place activation. Defaults to False.
        order (tuple): Layer order. Defaults to conv, norm, act.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 kernel_size: Union[int, Tuple[int, int]] = 1,
                 stride: Union[int, Tuple[int, int]] = 1,
                 padding: Union[int, Tuple[int, int]] = 0,
                 dilation: Union[int, Tuple[int, int]] = 1,
                 groups: int = 1,
                 bias: Union[str, bool] = 'auto',
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None,
                 act_cfg: Optional[Dict] = dict(type='ReLU'),
                 inplace: bool = False,
                 with_spectral_norm: bool = False,
                 padding_mode: str = 'zeros',
                 order: tuple = ('conv', 'norm', 'act'),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        from mmcv.cnn import ConvModule
        self.conv_module = ConvModule(in_channel, out_channel, kernel_size,
                                      stride, padding, dilation, groups, bias,
                                      conv_cfg, norm_cfg, act_cfg, inplace,
                                      with_spectral_norm, padding_mode, order)

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Apply the conv module."""
        return self.conv_module(feature)
