# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


def spatial_channel_masks(
        x: torch.Tensor, spatial_T: float,
        channel_T: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """FBKD attention masks.

    Spatial: ``H*W * softmax(mean_c|x| / T_s)`` (N, 1, H, W); channel:
    ``C * softmax(mean_hw|x| / T_c)`` (N, C, 1, 1).
    """
    N, C, H, W = x.shape
    spatial = x.abs().mean(dim=1).reshape(N, -1)
    spatial = (H * W * F.softmax(spatial / spatial_T, dim=1)).reshape(
        N, 1, H, W)
    channel = x.abs().mean(dim=(2, 3))
    channel = (C * F.softmax(channel / channel_T, dim=1)).reshape(N, C, 1, 1)
    return spatial, channel


class _FBKDBase(BaseConnector):

    def __init__(self,
                 in_channels: int,
                 reduction: int = 2,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None,
                 downsample_stride: int = 2,
                 spatial_T: float = 0.5,
                 channel_T: float = 0.5,
                 init_cfg: Optional[Dict] = None,
                 use_scale: bool = True,
                 mode: str = 'embedded_gaussian',
                 sub_sample: Optional[bool] = None,
                 maxpool_stride: Optional[int] = None) -> None:
        super().__init__(init_cfg)
        from mmcv.cnn import NonLocal2d
        self.spatial_T = spatial_T
        self.channel_T = channel_T
        if sub_sample is None:
            sub_sample = downsample_stride > 1
        stride = maxpool_stride or max(downsample_stride, 2)
        self.non_local = NonLocal2d(
            in_channels,
            reduction=reduction,
            use_scale=use_scale,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            mode=mode,
            sub_sample=bool(sub_sample))
        # mmcv sub-samples the keys by 2; FBKD configs pool by the stride
        for module in self.non_local.modules():
            if isinstance(module, nn.MaxPool2d):
                module.kernel_size = module.stride = stride


@MODELS.register_module()
class FBKDTeacherConnector(_FBKDBase):
    """FBKD teacher side: attention masks and a non-local relation.

    Returns ``(spatial_mask, channel_mask, feature, relation)`` for
    :class:`FBKDLoss`.

    Args:
        in_channels (int): Feature channels.
        reduction (int): Non-local channel reduction. Defaults to 2.
        conv_cfg (dict, optional): Non-local conv config.
        norm_cfg (dict, optional): Non-local norm config.
        downsample_stride (int): >1 sub-samples the non-local keys by
            max-pooling with this stride. Defaults to 2.
        spatial_T (float): Spatial temperature. Defaults to 0.5.
        channel_T (float): Channel temperature. Defaults to 0.5.
        init_cfg (dict, optional): Initialisation config.
        use_scale (bool): mmcv ``NonLocal2d`` argument. Defaults to True.
        mode (str): mmcv ``NonLocal2d`` pairwise function
            (``'embedded_gaussian'``, ``'dot_product'``, ``'gaussian'``,
            ``'concatenation'``). Defaults to ``'embedded_gaussian'``.
        sub_sample (bool, optional): mmcv ``NonLocal2d`` argument; overrides
            ``downsample_stride > 1`` when given.
        maxpool_stride (int, optional): Pooling stride of the sub-sampled
            keys; overrides ``downsample_stride`` when given.
    """

    def forward_train(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Masks, feature and relation of the teacher."""
        spatial, channel = spatial_channel_masks(x, self.spatial_T,
                                                 self.channel_T)
        return spatial, channel, x, self.non_local(x)


@MODELS.register_module()
class FBKDStudentConnector(_FBKDBase):
    """FBKD student side: a 1x1 adaptation conv, attention masks and an
    adapted non-local relation.

    Returns ``(spatial_mask, channel_mask, adapted_feature,
    adapted_relation)`` for :class:`FBKDLoss`.

    Args: see :class:`FBKDTeacherConnector`.
    """

    def __init__(self, in_channels: int, **kwargs) -> None:
        super().__init__(in_channels, **kwargs)
        self.feat_adapt = nn.Conv2d(in_channels, in_channels, 1)
        self.relation_adapt = nn.Conv2d(in_channels, in_channels, 1)

    def forward_train(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Masks, adapted feature and adapted relation of the student."""
        spatial, channel = spatial_channel_masks(x, self.spatial_T,
                                                 self.channel_T)
        relation = self.relation_adapt(self.non_local(x))
        return spatial, channel, self.feat_adapt(x), relation
