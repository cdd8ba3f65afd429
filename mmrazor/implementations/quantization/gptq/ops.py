# Copyright (c) OpenMMLab. All rights reserved.
"""GPTQ layers (Frantar et al., 2023).

Columns are quantized one at a time in (optionally act-order) sequence;
the rounding error of each column is spread over the not yet quantized
columns of its block with the row of the upper Cholesky factor of
``H^-1``, and the block's accumulated error is applied to all later
columns at once (lazy batched update).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmrazor.implementations.pruning.sparse_gpt.hessian import HessianMixIn
from mmrazor.implementations.pruning.sparse_gpt.ops import _convert_conv
from .quantizer import Quantizer, dequantize_grouped


class GPTQMixIn(HessianMixIn):
    """GPTQ weight quantization for a ``nn.Linear``/``nn.Conv2d``
    subclass.

    After :meth:`quant` the weight holds the fake-quantized values and
    ``gptq_codes`` (``rows x columns`` uint8), ``gptq_scales`` and
    ``gptq_zeros`` (``rows x groups``), ``gptq_g_idx`` (group of each
    column) and ``gptq_bits`` describe them exactly:
    ``weight = scales[:, g_idx] * (codes - zeros[:, g_idx])``.
    """

    #: Columns per sub-block inside a lazy-update block (see :meth:`quant`).
    sub_blocksize = 16

    def _gptq_mix_in_init(self) -> None:
        self._hessian_mix_in_init()
        self.gptq_codes: Optional[torch.Tensor] = None
        self.gptq_scales: Optional[torch.Tensor] = None
        self.gptq_zeros: Optional[torch.Tensor] = None
        self.gptq_g_idx: Optional[torch.Tensor] = None
        self.gptq_bits = 0

    @property
    def is_quantized(self) -> bool:
        return self.gptq_codes is not None

    @torch.no_grad()
    def quant(self,
              blocksize: int = 128,
              percdamp: float = .01,
              groupsize: int = -1,
              actorder: bool = False,
              **qconfig) -> float:
        """Quantize the weight with GPTQ.

        Args:
            blocksize (int): Columns per lazy-update block.
            percdamp (float): Dampening relative to the mean diagonal.
            groupsize (int): Columns sharing one scale/zero per row; -1 for
                one per row (per-channel).
            actorder (bool): Quantize columns in decreasing ``H_jj`` order.
            **qconfig: :meth:`Quantizer.configure` arguments (``bits``,
                ``perchannel``, ``sym``, ``mse``...).

        Returns:
            float: Estimated reconstruction error
            ``sum (w - q)^2 / [H^-1]_jj^2 / 2``.
        """
        W = self.weight_matrix.detach().to(self._solver_dtype(), copy=True)
        rows, columns = W.shape
        if blocksize < 1:
            raise ValueError(f'Layer {self.layer_name!r}: blocksize must '
                             f'be >= 1, got {blocksize}.')
        if groupsize != -1 and groupsize < 1:
            raise ValueError(f'Layer {self.layer_name!r}: groupsize must '
                             f'be -1 or >= 1, got {groupsize}.')
        qconfig.setdefault('perchannel', True)
        quantizer = Quantizer()
        try:
            quantizer.configure(**qconfig)
        except (ValueError, TypeError) as e:
            raise ValueError(f'Layer {self.layer_name!r}: {e}') from e
        maxq = int(quantizer.maxq)
        self._check_hessian()
        if groupsize == -1:
            quantizer.find_params(W, weight=True)

        perm = None
        if actorder:
            perm = torch.argsort(
                torch.diag(self.hessian).to(W.device), descending=True)
            W = W[:, perm]
        W, Hinv = self._hessian_inverse(W, percdamp, perm)

        # work on the transpose: one weight column is one contiguous row
        Wt = W.t().contiguous()
        codes_t = torch.empty_like(Wt)
        scales, zeros = [], []
        losses = torch.zeros(rows, dtype=W.dtype, device=W.device)
        if groupsize == -1:
            scale = quantizer.scale.flatten()
            zero = quantizer.zero.flatten()
            scales.append(scale)
            zeros.append(zero)

        for i1 in range(0, columns, blocksize):
            i2 = min(i1 + blocksize, columns)
            count = i2 - i1
            W1 = Wt[i1:i2].clone()
            C1 = codes_t[i1:i2]
            # D1: the rounding errors ``w - q`` of the block's columns
            D1 = torch.empty_like(W1)
            Hinv1 = Hinv[i1:i2, i1:i2]
            d1 = Hinv1.diagonal().unsqueeze(1)
            # row i: how column i's rounding error moves the block's later
            # columns (``[H^-1]_i,: / [H^-1]_ii``)
            G1 = Hinv1 / d1
            # per-row views made once per block, not once per column
            w_rows, c_rows = W1.unbind(0), C1.unbind(0)
            d_rows, g_rows = D1.unbind(0), G1.unbind(0)

            # columns are swept in sub-blocks: rank-1 updates stay inside
            # the sub-block and its errors reach the rest of the block in
            # one product (the lazy update, one level down); a sub-block
            # never spans a group start, so that a group's parameters see
            # every update of the columns before it
            s1 = 0
            while s1 < count:
                s2 = min(s1 + self.sub_blocksize, count)
                if groupsize != -1:
                    s2 = min(s2, ((i1 + s1) // groupsize + 1) * groupsize - i1)
                for i in range(s1, s2):
                    if groupsize != -1 and (i1 + i) % groupsize == 0:
                        scale, zero = self._group_params(
                            quantizer, Wt, W1, D1, d1, Hinv, i1, i, groupsize)
                        scales.append(scale)
                        zeros.append(zero)
                    w, c, d = w_rows[i], c_rows[i], d_rows[i]
                    torch.div(w, scale, out=c).round_().add_(zero).clamp_(
                        0, maxq)
                    # d = w - scale * (c - zero), the dequantize_codes formula
                    torch.sub(c, zero, out=d).mul_(scale)
                    torch.sub(w, d, out=d)
                    if i + 1 < s2:
                        # compensate the sub-block's later columns (rank-1)
                        W1[i + 1:s2].addr_(g_rows[i][i + 1:s2], d, alpha=-1)
                if s2 < count:
                    W1[s2:].addmm_(G1[s1:s2, s2:].t(), D1[s1:s2], alpha=-1)
                s1 = s2

            Err1 = D1.div_(d1)
            losses += Err1.pow(2).sum(0) / 2
            # the lazy batched update of all later columns
            if i2 < columns:
                Wt[i2:].addmm_(Hinv[i1:i2, i2:].t(), Err1, alpha=-1)

        codes = codes_t.t()
        if groupsize == -1:
            g_perm = torch.zeros(columns, dtype=torch.long)
        else:
            g_perm = torch.arange(columns) // groupsize
        if perm is not None:
            inv = torch.argsort(perm)
            codes = codes[:, inv]
            g_idx = g_perm[inv.cpu()]
        else:
            g_idx = g_perm
        self.set_quantized(codes, torch.stack(scales,
                                              1), torch.stack(zeros, 1),
                           g_idx.to(torch.int32), quantizer.bits)
        return float(losses.sum())

    @staticmethod
    def _group_params(quantizer: Quantizer, Wt: torch.Tensor,
                      W1: torch.Tensor, D1: torch.Tensor, d1: torch.Tensor,
                      Hinv: torch.Tensor, i1: int, i: int,
                      groupsize: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Scale and zero of the group starting at column ``i1 + i``.

        The group's columns are taken with every update so far, including
        the pending (lazy) ones of the current block on the columns after
        it (``Wt`` and ``W1`` are transposed weights, ``D1 / d1`` the
        scaled errors of the block's first ``i`` columns).
        """
        i2 = i1 + W1.shape[0]
        end = i1 + i + groupsize
        group = W1[i:i + groupsize]
        if end > i2:
            later = Wt[i2:end] - Hinv[i1:i1 + i, i2:end].t().matmul(
                D1[:i] / d1[:i])
            group = torch.cat([group, later], dim=0)
        quantizer.find_params(group.t(), weight=True)
        return quantizer.scale.flatten(), quantizer.zero.flatten()

    def set_quantized(self, codes: torch.Tensor, scales: torch.Tensor,
                      zeros: torch.Tensor, g_idx: torch.Tensor,
                      bits: int) -> None:
        """Store a quantized weight and write its dequantized values into
        ``weight``.

        Args:
            codes (Tensor): ``rows x columns`` integer codes.
            scales (Tensor): ``rows x groups`` scales.
            zeros (Tensor): ``rows x groups`` zero points (integers).
            g_idx (Tensor): ``columns`` group index of every column.
            bits (int): Bits per code.
        """
        self.gptq_codes = codes.to(torch.uint8)
        self.gptq_scales = scales.to(torch.float32)
        self.gptq_zeros = zeros.to(torch.uint8)
        self.gptq_g_idx = g_idx.to(torch.int32)
        self.gptq_bits = bits
        self.weight_matrix = self.dequantized_weight()

    def dequantized_weight(self) -> torch.Tensor:
        """``scales[:, g_idx] * (codes - zeros[:, g_idx])`` (fp32)."""
        if not self.is_quantized:
            raise RuntimeError(
                f'Layer {self.layer_name!r} is not quantized yet.')
        return dequantize_grouped(
            self.gptq_codes.to(torch.float32), self.gptq_scales,
            self.gptq_zeros.to(torch.float32), self.gptq_g_idx)


class GPTQLinear(GPTQMixIn, nn.Linear):
    """A ``nn.Linear`` that collects its Hessian and quantizes with
    GPTQ."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._gptq_mix_in_init()

    @classmethod
    def convert_from(cls, module: nn.Linear) -> 'GPTQLinear':
        new = cls(
            module.in_features,
            module.out_features,
            bias=module.bias is not None,
            device='meta')
        new.weight = module.weight
        new.bias = module.bias
        return new

    def to_static(self) -> nn.Linear:
        new = nn.Linear(
            self.in_features,
            self.out_features,
            bias=self.bias is not None,
            device='meta')
        new.weight = self.weight
        new.bias = self.bias
        return new


class GPTQConv2d(GPTQMixIn, nn.Conv2d):
    """A ``nn.Conv2d`` (groups=1) that collects its Hessian and quantizes
    with GPTQ (the weight as ``out x (in*kh*kw)`` matrix)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._gptq_mix_in_init()

    @classmethod
    def convert_from(cls, module: nn.Conv2d) -> 'GPTQConv2d':
        return _convert_conv(cls, module)

    def to_static(self) -> nn.Conv2d:
        return _convert_conv(nn.Conv2d, self)
