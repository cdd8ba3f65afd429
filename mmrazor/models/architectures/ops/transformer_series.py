# Copyright (c) OpenMMLab. All rights reserved.
"""Vision-transformer ops of AutoFormer: 2D relative position embeddings
(iRPE) and multi-head self-attention using them (static versions; the
searchable ones are in ``dynamic_ops``)."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn


def relative_position_index(length: int, max_relative_position: int,
                            device: torch.device) -> tuple:
    """Indices into the vertical and horizontal embedding tables.

    The sequence is ``[cls] + p*p patch tokens``. Token ``i`` of the patch
    grid sits at row ``i // p`` and column ``i % p``; the row (column)
    distance ``k - q`` is clipped to ``±max_relative_position`` and shifted
    by ``max_relative_position + 1``. Pairs involving the class token get
    index 0.

    Args:
        length (int): Sequence length ``1 + p*p``.
        max_relative_position (int): Clipping distance.
        device (torch.device): Device of the result.

    Returns:
        tuple[Tensor, Tensor]: ``(index_v, index_h)``, both ``length x
        length`` long tensors.
    """
    num_patches = int(length) - 1  # a traced length is a tensor
    side = int(round(num_patches**0.5))
    if side * side != num_patches:
        raise ValueError('relative positions need a square patch grid plus '
                         f'a class token; got a sequence of {length}')
    pos = torch.arange(num_patches, device=device)
    row, col = pos // side, pos % side
    dist_v = row[None, :] - row[:, None]
    dist_h = col[None, :] - col[:, None]
    m = max_relative_position
    index_v = dist_v.clamp(-m, m) + m + 1
    index_h = dist_h.clamp(-m, m) + m + 1
    index_v = F.pad(index_v, (1, 0, 1, 0), value=0)
    index_h = F.pad(index_h, (1, 0, 1, 0), value=0)
    return index_v, index_h


class RelativePosition2D(BaseModule):
    """2D relative position embeddings of AutoFormer (iRPE).

    ``forward(length_q, length_k)`` returns the ``length_q x length_k x
    head_dims`` embeddings: the sum of a vertical and a horizontal table
    entry chosen by the row and column distance of the two tokens.

    Args:
        head_dims (int): Embedding dims (the dims of one head).
        max_relative_position (int): Clipping distance. Defaults to 14.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 head_dims: int,
                 max_relative_position: int = 14,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.head_dims = head_dims
        self.max_relative_position = max_relative_position
        # row 0 of each table is the embedding of pairs with the cls token
        self.embeddings_table_v = nn.Parameter(
            torch.zeros(max_relative_position * 2 + 2, head_dims))
        self.embeddings_table_h = nn.Parameter(
            torch.zeros(max_relative_position * 2 + 2, head_dims))
        trunc_normal_(self.embeddings_table_v, std=.02)
        trunc_normal_(self.embeddings_table_h, std=.02)

    def get_tables(self) -> tuple:
        """The (vertical, horizontal) tables in use."""
        return self.embeddings_table_v, self.embeddings_table_h

    def forward(self, length_q: int, length_k: int) -> Tensor:
        if length_q != length_k:
            raise ValueError('RelativePosition2D supports self-attention '
                             f'only (length_q == length_k), got {length_q} '
                             f'and {length_k}')
        table_v, table_h = self.get_tables()
        index_v, index_h = relative_position_index(length_q,
                                                   self.max_relative_position,
                                                   table_v.device)
        return table_v[index_v] + table_h[index_h]


class MultiheadAttention(BaseModule):
    """Multi-head self-attention with 2D relative positions (AutoFormer).

    ``q``, ``k`` and ``v`` are projected by ``w_qs``, ``w_ks``, ``w_vs``
    from ``input_dims`` to ``num_heads * head_dims``; ``proj`` maps back to
    ``embed_dims``. With ``relative_position``, ``rel_pos_embed_k`` adds
    ``q·r_k`` to the attention logits and ``rel_pos_embed_v`` adds
    ``attn·r_v`` to the output.

    Args:
        embed_dims (int): Output dims.
        num_heads (int): Number of heads.
        input_dims (int, optional): Input dims. Defaults to ``embed_dims``.
        attn_drop_rate (float): Dropout on the attention weights.
        proj_drop_rate (float): Dropout after ``proj``.
        relative_position (bool): Use relative positions. Defaults to True.
        max_relative_position (int): Clipping distance. Defaults to 14.
        qkv_bias (bool): Bias of the q/k/v projections. Defaults to True.
        qk_scale (float, optional): Logit scale; ``head_dims ** -0.5`` by
            default.
        proj_bias (bool): Bias of ``proj``. Defaults to True.
        head_dims (int): Dims of one head. Defaults to 64.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 input_dims: Optional[int] = None,
                 attn_drop_rate: float = 0.,
                 proj_drop_rate: float = 0.,
                 relative_position: bool = True,
                 max_relative_position: int = 14,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 proj_bias: bool = True,
                 head_dims: int = 64,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.input_dims = input_dims or embed_dims
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.head_dims = head_dims
        self.relative_position = relative_position
        self.max_relative_position = max_relative_position
        self.qk_scale = qk_scale
        self.scale = qk_scale or head_dims**-0.5
        self.q_embed_dims = num_heads * head_dims
        self.w_qs = nn.Linear(
            self.input_dims, self.q_embed_dims, bias=qkv_bias)
        self.w_ks = nn.Linear(
            self.input_dims, self.q_embed_dims, bias=qkv_bias)
        self.w_vs = nn.Linear(
            self.input_dims, self.q_embed_dims, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop_rate)
        self.proj = nn.Linear(self.q_embed_dims, embed_dims, bias=proj_bias)
        self.proj_drop = nn.Dropout(proj_drop_rate)
        if relative_position:
            self.rel_pos_embed_k = RelativePosition2D(head_dims,
                                                      max_relative_position)
            self.rel_pos_embed_v = RelativePosition2D(head_dims,
                                                      max_relative_position)

    def project_qkv(self, x: Tensor) -> tuple:
        """``(q, k, v)`` of ``x`` (B, N, C), each (B, N, heads*dims)."""
        return self.w_qs(x), self.w_ks(x), self.w_vs(x)

    def project_out(self, x: Tensor) -> Tensor:
        """The output projection."""
        return self.proj(x)

    def attention(self, q: Tensor, k: Tensor, v: Tensor,
                  num_heads: int) -> Tensor:
        """Scaled dot-product attention with relative positions.

        Args:
            q, k, v (Tensor): (B, N, heads * head_dims) each.
            num_heads (int): Number of heads.

        Returns:
            Tensor: (B, N, heads * head_dims).
        """
        B, N, C = q.shape
        if C % num_heads:
            raise ValueError(f'{type(self).__name__}: q dims {C} are not a '
                             f'multiple of num_heads={num_heads}')
        dims = C // num_heads
        q = q.view(B, N, num_heads, dims).transpose(1, 2)
        k = k.view(B, N, num_heads, dims).transpose(1, 2)
        v = v.view(B, N, num_heads, dims).transpose(1, 2)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        if self.relative_position:
            r_k = self.rel_pos_embed_k(N, N)  # N, N, dims
            attn = attn + torch.einsum('bhqd,qkd->bhqk', q, r_k) * self.scale
        attn = attn.softmax(dim=-1)
        attn = self.attn_drop(attn)
        out = attn @ v
        if self.relative_position:
            r_v = self.rel_pos_embed_v(N, N)
            out = out + torch.einsum('bhqk,qkd->bhqd', attn, r_v)
        return out.transpose(1, 2).reshape(B, N, C)

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self.project_qkv(x)
        out = self.attention(q, k, v, self.num_heads)
        return self.proj_drop(self.project_out(out))
