# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic normalisation layers."""
from typing import Callable

import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmrazor.registry import MODELS
from ..mixins.dynamic_mixins import (DynamicBatchNormMixin,
                                     DynamicGroupNormMixin,
                                     DynamicLayerNormMixin)


class _DynamicBatchNorm(_BatchNorm, DynamicBatchNormMixin):
    """Common part of the dynamic batch norms."""

    accepted_mutable_attrs = {'num_features'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        return self._dynamic_bn_forward(x)


@MODELS.register_module()
class DynamicBatchNorm1d(_DynamicBatchNorm):
    """Dynamic ``nn.BatchNorm1d``."""

    @property
    def static_op_factory(self) -> Callable:
        return nn.BatchNorm1d

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() not in (2, 3):
            raise ValueError(f'expected 2D or 3D input (got {x.dim()}D)')


@MODELS.register_module()
class DynamicBatchNorm2d(_DynamicBatchNorm):
    """Dynamic ``nn.BatchNorm2d``."""

    @property
    def static_op_factory(self) -> Callable:
        return nn.BatchNorm2d

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(f'expected 4D input (got {x.dim()}D)')


@MODELS.register_module()
class DynamicBatchNorm3d(_DynamicBatchNorm):
    """Dynamic ``nn.BatchNorm3d``."""

    @property
    def static_op_factory(self) -> Callable:
        return nn.BatchNorm3d

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() != 5:
            raise ValueError(f'expected 5D input (got {x.dim()}D)')


class DynamicBatchNormXd(_DynamicBatchNorm):
    """Dynamic mmengine ``_BatchNormXd`` (any input dim)."""

    @property
    def static_op_factory(self) -> Callable:
        from mmengine.model.utils import _BatchNormXd
        return _BatchNormXd

    def _check_input_dim(self, x: Tensor) -> None:
        return


class DynamicSyncBatchNorm(_DynamicBatchNorm):
    """Dynamic ``nn.SyncBatchNorm``.

    Outside a distributed run it normalises like a plain batch norm.
    """

    @property
    def static_op_factory(self) -> Callable:
        return nn.SyncBatchNorm

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f'expected at least 2D input (got {x.dim()}D)')

    def forward(self, x: Tensor) -> Tensor:
        import torch.distributed as dist
        if self.training and dist.is_available() and dist.is_initialized() \
                and dist.get_world_size() > 1:
            rm, rv, w, b, mask = self.get_dynamic_params()
            sync = nn.SyncBatchNorm(
                w.numel() if w is not None else self.num_features, self.eps,
                self.momentum, self.affine,
                self.track_running_stats).to(x.device)
            if w is not None:
                sync.weight, sync.bias = nn.Parameter(w), nn.Parameter(b)
            return sync(x)
        return self._dynamic_bn_forward(x)


@MODELS.register_module()
class DynamicLayerNorm(nn.LayerNorm, DynamicLayerNormMixin):
    """Dynamic ``nn.LayerNorm`` (prunes the last normalised dim)."""

    accepted_mutable_attrs = {'num_features'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return nn.LayerNorm

    def forward(self, x: Tensor) -> Tensor:
        shape, w, b = self.get_dynamic_params()
        return F.layer_norm(x, shape, w, b, self.eps)


@MODELS.register_module()
class DynamicGroupNorm(nn.GroupNorm, DynamicGroupNormMixin):
    """Dynamic ``nn.GroupNorm``: prunes whole groups.

    Example:
        >>> import torch
        >>> from mmrazor.models.mutables import SimpleMutableChannel
        >>> gn = DynamicGroupNorm.convert_from(torch.nn.GroupNorm(4, 8))
        >>> mutable = SimpleMutableChannel(8)
        >>> mutable.current_choice = torch.tensor([1] * 6 + [0] * 2).bool()
        >>> gn.register_mutable_attr('num_channels', mutable)
        >>> gn(torch.rand(1, 6, 2, 2)).shape
        torch.Size([1, 6, 2, 2])
        >>> static = gn.to_static_op()
        >>> static.num_groups, static.num_channels
        (3, 6)
    """

    accepted_mutable_attrs = {'num_channels'}

    @property
    def static_op_factory(self) -> Callable:
        return nn.GroupNorm

    def forward(self, x: Tensor) -> Tensor:
        groups, w, b = self.get_dynamic_params()
        return F.group_norm(x, groups, w, b, self.eps)


def layer_norm_2d_classes() -> tuple:
    """The known ``LayerNorm2d`` classes: ``nn.LayerNorm`` subclasses that
    normalise the channel dim of ``(N, C, H, W)`` inputs (torchvision
    ConvNeXt, mmpretrain). Only already imported ones are returned (a
    model using one has imported it)."""
    import sys
    classes = []
    for mod_name in ('torchvision.models.convnext',
                     'mmpretrain.models.utils.norm'):
        cls = getattr(sys.modules.get(mod_name), 'LayerNorm2d', None)
        if isinstance(cls, type) and issubclass(cls, nn.LayerNorm):
            classes.append(cls)
    return tuple(classes)


@MODELS.register_module()
class DynamicLayerNorm2d(nn.LayerNorm, DynamicLayerNormMixin):
    """Dynamic ``LayerNorm2d`` (a LayerNorm over the channel dim of
    ``(N, C, H, W)`` inputs, as in ConvNeXt); prunes the channels.

    ``to_static_op`` gives back the class it was converted from.
    """

    accepted_mutable_attrs = {'num_features'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()
        self._static_cls = nn.LayerNorm

    @property
    def static_op_factory(self) -> Callable:
        return self._static_cls

    @classmethod
    def convert_from(cls, module: nn.LayerNorm) -> 'DynamicLayerNorm2d':
        """Take over ``module`` (its parameters and buffers are reused,
        nothing is re-initialised)."""
        new = cls._adopt(module)
        new._static_cls = type(module)
        return new

    def forward(self, x: Tensor, data_format: str = 'channel_first'):
        shape, w, b = self.get_dynamic_params()
        if data_format == 'channel_last':
            return F.layer_norm(x, shape, w, b, self.eps)
        x = F.layer_norm(x.permute(0, 2, 3, 1), shape, w, b, self.eps)
        return x.permute(0, 3, 1, 2).contiguous()
