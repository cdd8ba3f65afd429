# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic multi-head self-attention of AutoFormer."""
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmrazor.models.architectures.ops.transformer_series import \
    MultiheadAttention
from ..mixins.dynamic_mixins import DynamicChannelMixin
from .dynamic_relative_position import DynamicRelativePosition2D


def _slice(weight: Tensor, mask: Optional[Tensor], k: Optional[int],
           dim: int) -> Tensor:
    if mask is None:
        return weight
    if k is not None:
        return weight.narrow(dim, 0, k)
    return weight[mask] if dim == 0 else weight[:, mask]


class DynamicMultiheadAttention(MultiheadAttention, DynamicChannelMixin):
    """:class:`MultiheadAttention` with searchable heads and dims.

    Searchable attributes:

    * ``num_heads`` (a mutable value): the number of heads in use;
    * ``embed_dims`` (a mutable channel, alias ``in_channels``): the input
      dims of ``w_qs``/``w_ks``/``w_vs`` and the output dims of ``proj``;
    * ``q_embed_dims`` (a mutable channel, alias ``out_channels``): the
      output dims of the q/k/v projections (``num_heads * head_dims``).

    The projections are sliced (leading rows and columns, or masks), so a
    subnet is a slice of the supernet weights; the relative position
    tables are sliced by their own ``head_dims`` mutable, which must give
    ``q_embed_dims / num_heads`` dims.

    Args:
        embed_dims (int): Max output dims.
        num_heads (int): Max number of heads.
        **kwargs: Other :class:`MultiheadAttention` arguments.
    """

    accepted_mutable_attrs = {'num_heads', 'embed_dims', 'q_embed_dims'}
    attr_mappings = {
        'in_channels': 'embed_dims',
        'out_channels': 'q_embed_dims'
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()
        if self.relative_position:
            self.rel_pos_embed_k = DynamicRelativePosition2D(
                self.head_dims, self.max_relative_position)
            self.rel_pos_embed_v = DynamicRelativePosition2D(
                self.head_dims, self.max_relative_position)

    @property
    def static_op_factory(self) -> Callable:
        return MultiheadAttention

    @classmethod
    def convert_from(cls, module: MultiheadAttention) -> \
            'DynamicMultiheadAttention':
        """Take over a static ``module`` (weights shared)."""
        new = cls._adopt(module)
        if module.relative_position:
            new.rel_pos_embed_k = DynamicRelativePosition2D.convert_from(
                module.rel_pos_embed_k)
            new.rel_pos_embed_v = DynamicRelativePosition2D.convert_from(
                module.rel_pos_embed_v)
        return new

    def register_mutable_attr(self, attr: str, mutable: nn.Module) -> None:
        """Register a mutable (see the class docstring), checking that it
        fits this op."""
        mapped = self._map_attr(attr)
        name = type(self).__name__
        if mapped == 'num_heads':
            choices = getattr(mutable, 'choices', None)
            if choices is not None and (max(choices) > self.num_heads
                                        or min(choices) < 1):
                raise ValueError(f'{name}: num_heads choices {choices} must '
                                 f'be in [1, {self.num_heads}]')
        elif mapped in ('embed_dims', 'q_embed_dims'):
            expected = self.input_dims if mapped == 'embed_dims' \
                else self.q_embed_dims
            num = getattr(mutable, 'num_channels', None)
            if num is None and hasattr(type(mutable), 'current_mask'):
                num = mutable.current_mask.numel()
            if num != expected:
                raise ValueError(f'{name}: the {mapped} mutable has {num} '
                                 f'channels, expected {expected}')
            if mapped == 'embed_dims' and self.input_dims != self.embed_dims:
                raise ValueError(f'{name}: embed_dims can only be searched '
                                 'when input_dims == embed_dims')
        super().register_mutable_attr(attr, mutable)

    # -- current choices ---------------------------------------------------
    def _masks(self) -> Tuple:
        embed = self.get_mask_and_prefix('embed_dims', self.input_dims)
        q_embed = self.get_mask_and_prefix('q_embed_dims', self.q_embed_dims)
        return embed, q_embed

    @property
    def current_num_heads(self) -> int:
        """The number of heads in use."""
        mutable = self.get_mutable_attr('num_heads')
        return self.num_heads if mutable is None else \
            int(mutable.current_choice)

    def get_dynamic_params(self) -> dict:
        """The sliced weights ``{name: (weight, bias)}`` of ``w_qs``,
        ``w_ks``, ``w_vs`` and ``proj``."""
        (e_mask, e_k), (q_mask, q_k) = self._masks()
        params = dict()
        for name in ('w_qs', 'w_ks', 'w_vs'):
            layer = getattr(self, name)
            w = _slice(_slice(layer.weight, q_mask, q_k, 0), e_mask, e_k, 1)
            b = _slice(layer.bias, q_mask, q_k, 0) \
                if layer.bias is not None else None
            params[name] = (w, b)
        w = _slice(_slice(self.proj.weight, e_mask, e_k, 0), q_mask, q_k, 1)
        b = _slice(self.proj.bias, e_mask, e_k, 0) \
            if self.proj.bias is not None else None
        params['proj'] = (w, b)
        return params

    # -- forward -----------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:
        params = self.get_dynamic_params()
        q, k, v = (F.linear(x, *params[n]) for n in ('w_qs', 'w_ks', 'w_vs'))
        num_heads = self.current_num_heads
        if self.relative_position:
            dims = q.shape[-1] // max(num_heads, 1)
            rel_dims = self.rel_pos_embed_k.current_head_dims
            if q.shape[-1] != num_heads * rel_dims:
                raise RuntimeError(
                    f'{type(self).__name__}: q_embed_dims {q.shape[-1]} != '
                    f'num_heads {num_heads} x head_dims {rel_dims} of the '
                    f'relative positions (per-head dims would be {dims})')
        out = self.attention(q, k, v, num_heads)
        return self.proj_drop(F.linear(out, *params['proj']))

    def to_static_op(self) -> MultiheadAttention:
        """A :class:`MultiheadAttention` with the sliced weights."""
        self.check_if_mutables_fixed()
        params = self.get_dynamic_params()
        q_dims, e_in = params['w_qs'][0].shape
        e_out = params['proj'][0].shape[0]
        heads = self.current_num_heads
        if q_dims % heads:
            raise RuntimeError(f'{type(self).__name__}: q_embed_dims '
                               f'{q_dims} is not a multiple of num_heads '
                               f'{heads}')
        op = MultiheadAttention(
            embed_dims=e_out,
            num_heads=heads,
            input_dims=e_in,
            attn_drop_rate=self.attn_drop.p,
            proj_drop_rate=self.proj_drop.p,
            relative_position=self.relative_position,
            max_relative_position=self.max_relative_position,
            qkv_bias=self.w_qs.bias is not None,
            qk_scale=self.scale,
            proj_bias=self.proj.bias is not None,
            head_dims=q_dims // heads)
        with torch.no_grad():
            for name, (w, b) in params.items():
                layer = getattr(op, name)
                layer.weight.copy_(w)
                if b is not None:
                    layer.bias.copy_(b)
        if self.relative_position:
            op.rel_pos_embed_k = self.rel_pos_embed_k.to_static_op()
            op.rel_pos_embed_v = self.rel_pos_embed_v.to_static_op()
        op.train(self.training)
        return op
