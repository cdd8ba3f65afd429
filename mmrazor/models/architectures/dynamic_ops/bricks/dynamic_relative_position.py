# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic 2D relative position embeddings (AutoFormer iRPE)."""
from typing import Callable, Tuple

import torch
from torch import Tensor, nn

from mmrazor.models.architectures.ops.transformer_series import \
    RelativePosition2D
from ..mixins.dynamic_mixins import DynamicChannelMixin


class DynamicRelativePosition2D(RelativePosition2D, DynamicChannelMixin):
    """:class:`RelativePosition2D` whose ``head_dims`` is searchable.

    A mutable channel registered as ``head_dims`` selects the embedding
    dims (columns of both tables) in use.

    Args:
        head_dims (int): Max embedding dims.
        max_relative_position (int): Clipping distance. Defaults to 14.
    """

    accepted_mutable_attrs = {'head_dims'}
    attr_mappings = {'in_channels': 'head_dims', 'out_channels': 'head_dims'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return RelativePosition2D

    def get_tables(self) -> Tuple[Tensor, Tensor]:
        """The (vertical, horizontal) tables sliced by ``head_dims``."""
        mask, k = self.get_mask_and_prefix('head_dims', self.head_dims)
        table_v, table_h = self.embeddings_table_v, self.embeddings_table_h
        if mask is None:
            return table_v, table_h
        if k is not None:
            return table_v[:, :k], table_h[:, :k]
        return table_v[:, mask], table_h[:, mask]

    @property
    def current_head_dims(self) -> int:
        """The head dims in use."""
        return int(self.get_tables()[0].shape[1])

    def to_static_op(self) -> RelativePosition2D:
        """A :class:`RelativePosition2D` with the sliced tables."""
        self.check_if_mutables_fixed()
        table_v, table_h = self.get_tables()
        op = RelativePosition2D(table_v.shape[1], self.max_relative_position)
        with torch.no_grad():
            op.embeddings_table_v.copy_(table_v)
            op.embeddings_table_h.copy_(table_h)
        op.train(self.training)
        return op
