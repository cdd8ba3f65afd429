# Copyright (c) OpenMMLab. All rights reserved.
"""Base class of the searchable candidate operations."""
from typing import Dict, Optional

from mmengine.model import BaseModule


class BaseOP(BaseModule):
    """Base class of the candidate operations of a searchable block.

    Args:
        in_channels (int): The input channels of the operation.
        out_channels (int): The output channels of the operation.
        stride (int): Stride of the operation. Defaults to 1.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(
                f'{type(self).__name__} needs positive channels, got '
                f'in_channels={in_channels}, out_channels={out_channels}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
