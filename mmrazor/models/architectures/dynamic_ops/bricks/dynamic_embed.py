# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic patch embedding (mmcls ``PatchEmbed`` with searchable dims)."""
import warnings
from typing import Callable, Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmrazor.registry import MODELS
from ..mixins.dynamic_mixins import DynamicChannelMixin, DynamicMixin


def _patch_embed_class():
    try:
        from mmpretrain.models.utils import PatchEmbed
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError('DynamicPatchEmbed.to_static_op builds the mmcls '
                          '`PatchEmbed`, which needs the `mmpretrain` '
                          'package: `pip install mmpretrain`') from e
    return PatchEmbed


def _to_2tuple(size: Union[int, Tuple]) -> Tuple[int, int]:
    if isinstance(size, int):
        return (size, size)
    size = tuple(size)
    if len(size) == 1:
        size = size * 2
    if len(size) != 2:
        raise ValueError(f'img_size must be an int or (h, w), got {size}')
    return size


@MODELS.register_module()
class DynamicPatchEmbed(BaseModule, DynamicChannelMixin):
    """Patch embedding (a ``kernel = stride = 16`` conv by default) whose
    output dims are searchable, with the interface of mmcls ``PatchEmbed``.

    A mutable channel registered as ``embed_dims`` (alias
    ``out_channels``) selects the output channels of ``projection`` (and
    of a dynamic ``norm``). :meth:`to_static_op` gives an mmcls
    ``PatchEmbed`` with the sliced weights.

    Args:
        img_size (int | tuple): Input size. Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        embed_dims (int): Max embedding dims. Defaults to 768.
        norm_cfg (dict, optional): Norm after the projection.
        conv_cfg (dict, optional): Overrides of the projection conv
            (``kernel_size``, ``stride``...).
        init_cfg (dict, optional): Initialization config.
    """

    accepted_mutable_attrs = {'embed_dims'}
    attr_mappings = {'in_channels': 'embed_dims', 'out_channels': 'embed_dims'}

    def __init__(self,
                 img_size: Union[int, Tuple] = 224,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 norm_cfg: Optional[Dict] = None,
                 conv_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import build_conv_layer, build_norm_layer
        super().__init__(init_cfg=init_cfg)
        self.img_size = _to_2tuple(img_size)
        self.embed_dims = embed_dims
        self.conv_cfg = conv_cfg
        _conv_cfg = dict(
            type='Conv2d', kernel_size=16, stride=16, padding=0, dilation=1)
        _conv_cfg.update(conv_cfg or dict())
        self.projection = build_conv_layer(_conv_cfg, in_channels, embed_dims)
        h_out, w_out = [(self.img_size[i] + 2 * self.projection.padding[i] -
                         self.projection.dilation[i] *
                         (self.projection.kernel_size[i] - 1) - 1) //
                        self.projection.stride[i] + 1 for i in range(2)]
        self.patches_resolution = (h_out, w_out)
        self.num_patches = h_out * w_out
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1] \
            if norm_cfg is not None else None
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return _patch_embed_class()

    @classmethod
    def convert_from(cls, module: nn.Module) -> 'DynamicPatchEmbed':
        """Take over an mmcls ``PatchEmbed`` (weights shared)."""
        new = cls._adopt(module)
        new.conv_cfg = getattr(module, 'conv_cfg', None)
        return new

    def register_mutable_attr(self, attr: str, mutable: nn.Module) -> None:
        """Register the ``embed_dims`` mutable (also on a dynamic norm)."""
        num = getattr(mutable, 'num_channels', None)
        if num is not None and num != self.embed_dims:
            raise ValueError(f'{type(self).__name__}: the embed_dims mutable '
                             f'has {num} channels, expected '
                             f'{self.embed_dims}')
        super().register_mutable_attr(attr, mutable)
        if isinstance(self.norm, DynamicMixin):
            self.norm.register_mutable_attr('num_features', mutable)

    def get_dynamic_params(self) -> Tuple[Tensor, Optional[Tensor]]:
        """The projection (weight, bias) sliced by ``embed_dims``."""
        mask, k = self.get_mask_and_prefix('embed_dims', self.embed_dims)
        w, b = self.projection.weight, self.projection.bias
        if mask is None:
            return w, b
        if k is not None:
            return w[:k], (b[:k] if b is not None else None)
        return w[mask], (b[mask] if b is not None else None)

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, N, embed_dims)."""
        H, W = x.shape[-2:]
        if (H, W) != tuple(self.img_size):
            raise ValueError(f'{type(self).__name__}: input image size '
                             f'({H}*{W}) does not match the model '
                             f'({self.img_size[0]}*{self.img_size[1]})')
        w, b = self.get_dynamic_params()
        conv = self.projection
        x = F.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation,
                     conv.groups)
        x = x.flatten(2).transpose(1, 2)
        if self.norm is not None:
            x = self.norm(x)
        return x

    def to_static_op(self) -> nn.Module:
        """An mmcls ``PatchEmbed`` with the sliced projection."""
        self.check_if_mutables_fixed()
        w, b = self.get_dynamic_params()
        conv = self.projection
        conv_cfg = dict(
            kernel_size=conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            bias=b is not None)
        with warnings.catch_warnings():
            # mmcls deprecates its PatchEmbed in favour of mmcv's
            warnings.simplefilter('ignore')
            op = self.static_op_factory(
                img_size=self.img_size,
                in_channels=conv.in_channels,
                embed_dims=w.shape[0],
                conv_cfg=conv_cfg)
        with torch.no_grad():
            op.projection.weight.copy_(w)
            if b is not None:
                op.projection.bias.copy_(b)
        if self.norm is not None:
            op.norm = self.norm.to_static_op() \
                if isinstance(self.norm, DynamicMixin) else self.norm
        op.train(self.training)
        return op
