# Copyright (c) OpenMMLab. All rights reserved.
"""Packed low-bit GPTQ layers with a dequantize-and-matmul forward.

Every output row's ``bits``-bit codes are packed little-endian into
consecutive 32-bit words (``32 / bits`` codes per int32 when ``bits``
divides 32, e.g. eight 4-bit codes; 3-bit codes straddle words). The
forward unpacks the codes, dequantizes them with the per-group scales
and zero points (``scales[:, g_idx] * (codes - zeros[:, g_idx])``,
exactly the fake-quantized weight of :class:`GPTQMixIn`) and runs the
plain linear/convolution, on any device.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .ops import GPTQMixIn
from .quantizer import dequantize_grouped

_MASK32 = (1 << 32) - 1


def packed_words(columns: int, bits: int) -> int:
    """Number of int32 words holding ``columns`` codes of ``bits`` bits."""
    return math.ceil(columns * bits / 32)


def pack_codes(codes: torch.Tensor, bits: int) -> torch.Tensor:
    """Pack integer codes (``rows x columns``, values in
    ``[0, 2**bits)``) into ``rows x ceil(columns*bits/32)`` int32 words.

    Code ``j`` occupies bits ``j*bits .. j*bits+bits-1`` of the row's bit
    stream (word ``k`` holds stream bits ``32k .. 32k+31``, LSB first).
    """
    if not 1 <= bits <= 16:
        raise ValueError(f'pack_codes: bits must be in [1, 16], got {bits}')
    c = codes.to(torch.int64)
    if c.numel() and (c.min() < 0 or c.max() >= 2**bits):
        raise ValueError(f'pack_codes: codes must be in [0, {2**bits}), '
                         f'got [{int(c.min())}, {int(c.max())}]')
    rows, columns = c.shape
    nwords = packed_words(columns, bits)
    pos = torch.arange(columns, device=c.device) * bits
    word = (pos // 32).expand(rows, -1)
    off = (pos % 32).expand(rows, -1)
    words = torch.zeros(rows, nwords + 1, dtype=torch.int64, device=c.device)
    # bit fields never overlap, so adding is OR-ing
    words.scatter_add_(1, word, (c << off) & _MASK32)
    words.scatter_add_(1, word + 1, c >> (32 - off))
    words = words[:, :nwords]
    words = torch.where(words >= 2**31, words - 2**32, words)
    return words.to(torch.int32)


def unpack_codes(words: torch.Tensor, bits: int, columns: int) -> torch.Tensor:
    """Inverse of :func:`pack_codes`; returns int64 codes
    ``rows x columns``."""
    w = words.to(torch.int64) & _MASK32
    w = torch.cat([w, torch.zeros_like(w[:, :1])], dim=1)
    pos = torch.arange(columns, device=w.device) * bits
    word = pos // 32
    off = pos % 32
    lo = w[:, word] >> off
    hi = w[:, word + 1] << (32 - off)
    return (lo | hi) & (2**bits - 1)


class PackedGPTQMixIn:
    """Buffers and dequantization shared by the packed layers."""

    def _init_packed(self, rows: int, columns: int, bits: int,
                     groups: int) -> None:
        if not 2 <= bits <= 8:
            raise ValueError(f'Packed GPTQ layer: bits must be in [2, 8], '
                             f'got {bits}.')
        self.bits = bits
        self.columns = columns
        self.register_buffer(
            'qweight',
            torch.zeros(rows, packed_words(columns, bits), dtype=torch.int32))
        self.register_buffer('scales', torch.zeros(rows, groups))
        self.register_buffer('qzeros',
                             torch.zeros(rows, groups, dtype=torch.uint8))
        self.register_buffer('g_idx', torch.zeros(columns, dtype=torch.int32))

    def load_from_gptq(self, layer: GPTQMixIn) -> None:
        """Pack a quantized :class:`GPTQMixIn` layer."""
        self.qweight.copy_(pack_codes(layer.gptq_codes, self.bits))
        self.scales.copy_(layer.gptq_scales)
        self.qzeros.copy_(layer.gptq_zeros)
        self.g_idx.copy_(layer.gptq_g_idx)
        if layer.bias is not None:
            self.bias.data.copy_(layer.bias.data)

    def dequantized_weight(self) -> torch.Tensor:
        """The fp32 ``rows x columns`` weight."""
        codes = unpack_codes(self.qweight, self.bits, self.columns)
        return dequantize_grouped(
            codes.to(torch.float32), self.scales,
            self.qzeros.to(torch.float32), self.g_idx)


class PackedGPTQLinear(PackedGPTQMixIn, nn.Module):
    """A linear layer with packed ``bits``-bit GPTQ weights.

    Args:
        in_features (int): Input features.
        out_features (int): Output features.
        bits (int): Bits per weight (2 to 8).
        groups (int): Scale/zero groups per row.
        bias (bool): Has a bias.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 bits: int = 4,
                 groups: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self._init_packed(out_features, in_features, bits, groups)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias \
            else None

    @classmethod
    def from_gptq(cls, layer: GPTQMixIn) -> 'PackedGPTQLinear':
        new = cls(layer.in_features, layer.out_features, layer.gptq_bits,
                  layer.gptq_scales.shape[1], layer.bias is not None)
        new.load_from_gptq(layer)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.dequantized_weight().to(x.dtype)
        return F.linear(x, w, self.bias)

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, out_features='
                f'{self.out_features}, bits={self.bits}, '
                f'groups={self.scales.shape[1]}, '
                f'bias={self.bias is not None}')


class PackedGPTQConv2d(PackedGPTQMixIn, nn.Conv2d):
    """A ``nn.Conv2d`` whose weight is stored as packed GPTQ codes.

    Takes the ``nn.Conv2d`` arguments plus ``bits`` and ``groups_q`` (scale
    groups per output channel).
    """

    def __init__(self,
                 *args,
                 bits: int = 4,
                 groups_q: int = 1,
                 **kwargs) -> None:
        super().__init__(*args, device='meta', **kwargs)
        del self.weight
        shape = (self.out_channels, self.in_channels // self.groups,
                 *self.kernel_size)
        self.weight_shape = shape
        self._init_packed(shape[0], math.prod(shape[1:]), bits, groups_q)
        if self.bias is not None:
            self.bias = nn.Parameter(torch.zeros(self.out_channels))

    @classmethod
    def from_gptq(cls, layer: GPTQMixIn) -> 'PackedGPTQConv2d':
        new = cls(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias is not None,
            padding_mode=layer.padding_mode,
            bits=layer.gptq_bits,
            groups_q=layer.gptq_scales.shape[1])
        new.load_from_gptq(layer)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.dequantized_weight().reshape(self.weight_shape).to(x.dtype)
        return self._conv_forward(x, w, self.bias)
