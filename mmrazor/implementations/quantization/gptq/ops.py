# Copyright (c) OpenMMLab. All rights reserved.
"""GPTQ layers (Frantar et al., 2023).

Columns are quantized one at a time in (optionally act-order) sequence;
the rounding error of each column is spread over the not yet quantized
columns of its block with the row of the upper Cholesky factor of
``H^-1``, and the block's accumulated error is applied to all later
columns at once (lazy batched update).
"""
from typing import Optional

import torch
import torch.nn as nn

from mmrazor.implementations.pruning.sparse_gpt.hessian import HessianMixIn
from mmrazor.implementations.pruning.sparse_gpt.ops import _convert_conv
from .quantizer import Quantizer, dequantize_codes, dequantize_grouped


class GPTQMixIn(HessianMixIn):
    """GPTQ weight quantization for a ``nn.Linear``/``nn.Conv2d``
    subclass.

    After :meth:`quant` the weight holds the fake-quantized values and
    ``gptq_codes`` (``rows x columns`` uint8), ``gptq_scales`` and
    ``gptq_zeros`` (``rows x groups``), ``gptq_g_idx`` (group of each
    column) and ``gptq_bits`` describe them exactly:
    ``weight = scales[:, g_idx] * (codes - zeros[:, g_idx])``.
    """

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
        codes_t = torch.zeros_like(Wt)
        scales, zeros = [], []
        losses = torch.zeros(rows, dtype=W.dtype, device=W.device)
        scale = quantizer.scale.flatten()
        zero = quantizer.zero.flatten()
        if groupsize == -1:
            scales.append(scale)
            zeros.append(zero)

        for i1 in range(0, columns, blocksize):
            i2 = min(i1 + blocksize, columns)
            count = i2 - i1
            W1 = Wt[i1:i2].clone()
            C1 = torch.zeros_like(W1)
            Err1 = torch.zeros_like(W1)
            Hinv1 = Hinv[i1:i2, i1:i2]

            for i in range(count):
                col = i1 + i
                if groupsize != -1 and col % groupsize == 0:
                    # the group's columns with every update so far,
                    # including the pending (lazy) ones of this block
                    end = col + groupsize
                    group = W1[i:i + groupsize]
                    if end > i2:
                        later = Wt[i2:end] - Hinv[i1:i1 + i,
                                                  i2:end].t().matmul(Err1[:i])
                        group = torch.cat([group, later], dim=0)
                    quantizer.find_params(group.t(), weight=True)
                    scale = quantizer.scale.flatten()
                    zero = quantizer.zero.flatten()
                    scales.append(scale)
                    zeros.append(zero)
                w = W1[i]
                c = C1[i]
                torch.div(w, scale, out=c).round_().add_(zero).clamp_(0, maxq)
                err1 = Err1[i]
                torch.sub(w, dequantize_codes(c, scale, zero), out=err1)
                err1.div_(Hinv1[i, i])
                # compensate the block's remaining columns (rank-1 update)
                W1[i:].addr_(Hinv1[i, i:], err1, alpha=-1)

            codes_t[i1:i2] = C1
            losses += Err1.pow(2).sum(0) / 2
            # the lazy batched update of all later columns
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
