# Copyright (c) OpenMMLab. All rights reserved.
"""Resize the network input (input-size search)."""
from typing import Optional, Sequence

import torch.nn.functional as F
from torch import Tensor, nn


class InputResizer(nn.Module):
    """Resize a batch of images to ``shape`` by interpolation.

    Args:
        shape (Sequence[int], optional): Target ``(h, w)``; None keeps the
            input size. Defaults to None.
        interpolation_type (str): ``F.interpolate`` mode. Defaults to
            'bicubic'.
        align_corners (bool): ``align_corners`` of ``F.interpolate``.
            Defaults to False.
    """

    valid_interpolation_type = ('nearest', 'bilinear', 'bicubic', 'area')

    def __init__(self,
                 shape: Optional[Sequence[int]] = None,
                 interpolation_type: str = 'bicubic',
                 align_corners: bool = False) -> None:
        super().__init__()
        if interpolation_type not in self.valid_interpolation_type:
            raise ValueError(
                f'interpolation_type must be one of '
                f'{self.valid_interpolation_type}, got {interpolation_type!r}')
        self.shape = None if shape is None else tuple(int(s) for s in shape)
        self.interpolation_type = interpolation_type
        self.align_corners = align_corners

    def resize(self, x: Tensor, shape: Optional[Sequence[int]]) -> Tensor:
        """``x`` interpolated to ``shape`` (unchanged when equal)."""
        if shape is None or tuple(x.shape[-2:]) == tuple(shape):
            return x
        align = None if self.interpolation_type in ('nearest', 'area') \
            else self.align_corners
        return F.interpolate(
            x,
            size=tuple(int(s) for s in shape),
            mode=self.interpolation_type,
            align_corners=align)

    def forward(self, x: Tensor) -> Tensor:
        """Resize ``x`` to :attr:`shape`."""
        return self.resize(x, self.shape)

    def extra_repr(self) -> str:
        return (f'shape={self.shape}, '
                f'interpolation_type={self.interpolation_type!r}')
