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
        # no copy yet: W is only read until it is transposed below
        W = self.weight_matrix.detach().to(self._solver_dtype())
        columns = W.shape[1]
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

        # work on the transpose (a copy): one weight column is one
        # contiguous row; Dt holds the rounding errors ``w - q``
        perm = None
        if actorder:
            perm = torch.argsort(
                torch.diag(self.hessian).to(W.device), descending=True)
            Wt = W.t()[perm]
        else:
            Wt = W.t().clone(memory_format=torch.contiguous_format)
        Wt, Hinv = self._hessian_inverse(Wt.t(), percdamp, perm)
        Wt = Wt.t()
        codes_t = torch.empty_like(Wt)
        Dt = torch.empty_like(Wt)
        # row j of G: how column j's rounding error moves the later columns,
        # ``[H^-1]_j,: / [H^-1]_jj`` (U's rows over their diagonal)
        diag = Hinv.diagonal().clone()
        G = Hinv.div_(diag.unsqueeze(1))
        # one view per column, made once instead of once per column
        w_rows, c_rows, d_rows = Wt.unbind(0), codes_t.unbind(0), Dt.unbind(0)
        # the sweep keeps codes minus zero points, clamped to
        # [-zero, maxq - zero]: round(w / scale) + zero clamped to [0, maxq]
        # with the zero points added once at the end (exact: integers)
        scales, zeros = [], []
        if groupsize == -1:
            scale = quantizer.scale.flatten()
            zero = quantizer.zero.flatten()
            scales.append(scale)
            zeros.append(zero)
            low, high = -zero, maxq - zero

        for i1 in range(0, columns, blocksize):
            i2 = min(i1 + blocksize, columns)
            # the block's columns are swept in sub-blocks: rank-1 updates
            # stay inside the sub-block and its errors reach the rest of the
            # block in one product (the lazy update, one level down); a
            # sub-block never spans a group start, so that a group's
            # parameters see every update of the columns before it
            s1 = i1
            while s1 < i2:
                s2 = min(s1 + self.sub_blocksize, i2)
                if groupsize != -1:
                    s2 = min(s2, (s1 // groupsize + 1) * groupsize)
                # G is upper triangular with a unit diagonal: updating the
                # whole sub-block with G's row leaves the columns before
                # ``col`` as they are and turns ``col`` itself into its
                # quantized value, so no per-column slices are needed
                W_sub = Wt[s1:s2]
                g_rows = G[s1:s2, s1:s2].unbind(0)
                for col in range(s1, s2):
                    if groupsize != -1 and col % groupsize == 0:
                        scale, zero = self._group_params(
                            quantizer, Wt, Dt, G, i1, i2, col, groupsize)
                        scales.append(scale)
                        zeros.append(zero)
                        low, high = -zero, maxq - zero
                    w, c, d = w_rows[col], c_rows[col], d_rows[col]
                    torch.div(w, scale, out=c).round_().clamp_(low, high)
                    # d = w - scale * (code - zero): the rounding error
                    torch.addcmul(w, scale, c, value=-1, out=d)
                    if col + 1 < s2:
                        # compensate the sub-block's later columns (rank-1)
                        W_sub.addr_(g_rows[col - s1], d, alpha=-1)
                if s2 < i2:
                    Wt[s2:i2].addmm_(G[s1:s2, s2:i2].t(), Dt[s1:s2], alpha=-1)
                s1 = s2
            # the lazy batched update of all later columns
            if i2 < columns:
                Wt[i2:].addmm_(G[i1:i2, i2:].t(), Dt[i1:i2], alpha=-1)
        loss = (torch.linalg.vector_norm(Dt, dim=1) / diag).pow_(2).sum() / 2
        if groupsize == -1:
            codes_t.add_(zero)
        else:
            g_sweep = torch.arange(columns, device=Wt.device) // groupsize
            codes_t.add_(torch.stack(zeros)[g_sweep])

        # codes are small integers: narrow them before the transpose
        codes = codes_t.to(torch.uint8).t().contiguous()
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
        # the errors are no longer needed: their memory takes the weight
        buffer = Dt.view(codes.shape) if Dt.dtype == torch.float32 else None
        self.set_quantized(
            codes,
            torch.stack(scales, 1),
            torch.stack(zeros, 1),
            g_idx.to(torch.int32),
            quantizer.bits,
            buffer=buffer)
        return float(loss)

    @staticmethod
    def _group_params(quantizer: Quantizer, Wt: torch.Tensor, Dt: torch.Tensor,
                      G: torch.Tensor, i1: int, i2: int, col: int,
                      groupsize: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Scale and zero of the group starting at column ``col`` of the
        block ``[i1, i2)``.

        The group's columns are taken with every update so far: those in
        the block have them all; those after it get the block's pending
        (lazy) update from the errors ``Dt`` of columns ``i1..col-1``
        (``Wt``, ``Dt`` transposed, ``G`` as in :meth:`quant`).
        """
        end = col + groupsize
        group = Wt[col:min(end, i2)]
        if end > i2:
            later = Wt[i2:end] - G[i1:col, i2:end].t().matmul(Dt[i1:col])
            group = torch.cat([group, later], dim=0)
        quantizer.find_params(group.t(), weight=True)
        return quantizer.scale.flatten(), quantizer.zero.flatten()

    def set_quantized(self,
                      codes: torch.Tensor,
                      scales: torch.Tensor,
                      zeros: torch.Tensor,
                      g_idx: torch.Tensor,
                      bits: int,
                      buffer: Optional[torch.Tensor] = None) -> None:
        """Store a quantized weight and write its dequantized values into
        ``weight``.

        Args:
            codes (Tensor): ``rows x columns`` integer codes.
            scales (Tensor): ``rows x groups`` scales.
            zeros (Tensor): ``rows x groups`` zero points (integers).
            g_idx (Tensor): ``columns`` group index of every column.
            bits (int): Bits per code.
            buffer (Tensor, optional): A free contiguous ``rows x columns``
                fp32 tensor the dequantized weight may be written into.
        """
        self.gptq_codes = codes.to(torch.uint8)
        self.gptq_scales = scales.to(torch.float32)
        self.gptq_zeros = zeros.to(torch.uint8)
        self.gptq_g_idx = g_idx.to(torch.int32)
        self.gptq_bits = bits
        self.weight_matrix = self.dequantized_weight(out=buffer)

    def dequantized_weight(self,
                           out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``scales[:, g_idx] * (codes - zeros[:, g_idx])`` (fp32).

        Args:
            out (Tensor, optional): Contiguous ``rows x columns`` fp32
                tensor to write the result into.
        """
        if not self.is_quantized:
            raise RuntimeError(
                f'Layer {self.layer_name!r} is not quantized yet.')
        if out is not None:
            out.copy_(self.gptq_codes)  # exact: small integers
            return dequantize_grouped(
                out,
                self.gptq_scales,
                self.gptq_zeros.to(torch.float32),
                self.gptq_g_idx,
                inplace=True)
        # the float codes are a fresh tensor: dequantize them in place
        return dequantize_grouped(
            self.gptq_codes.to(torch.float32, copy=True),
            self.gptq_scales,
            self.gptq_zeros.to(torch.float32),
            self.gptq_g_idx,
            inplace=True)


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
