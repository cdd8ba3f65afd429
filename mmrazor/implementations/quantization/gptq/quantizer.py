# Copyright (c) OpenMMLab. All rights reserved.
"""The min-max uniform quantizer used by GPTQ."""
from typing import Tuple

import torch
import torch.nn as nn


def quantize_to_codes(x: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor,
                      maxq: int) -> torch.Tensor:
    """Integer codes ``clamp(round(x / scale) + zero, 0, maxq)`` (float)."""
    return torch.clamp(torch.round(x / scale) + zero, 0, maxq)


def dequantize_codes(codes: torch.Tensor, scale: torch.Tensor,
                     zero: torch.Tensor) -> torch.Tensor:
    """``scale * (codes - zero)``: the one formula every GPTQ path uses, so
    that fake-quantized and packed weights are bit-identical."""
    return scale * (codes - zero)


def dequantize_grouped(codes: torch.Tensor,
                       scales: torch.Tensor,
                       zeros: torch.Tensor,
                       g_idx: torch.Tensor,
                       inplace: bool = False) -> torch.Tensor:
    """``scales[:, g_idx] * (codes - zeros[:, g_idx])`` for ``rows x
    columns`` codes and ``rows x groups`` scales/zeros (broadcast when there
    is one group; the values are the same either way).

    With ``inplace=True`` the result is written into ``codes`` (a float
    tensor of the result's dtype, e.g. a fresh conversion of the integer
    codes): the same values, ``(codes - zeros) * scales``, without two
    more weight-sized tensors.
    """
    if scales.shape[1] != 1:
        g = g_idx.long().to(scales.device)
        scales, zeros = scales[:, g], zeros[:, g]
    if inplace:
        return codes.sub_(zeros).mul_(scales)
    return dequantize_codes(codes, scales, zeros)


def quantize(x: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor,
             maxq: int) -> torch.Tensor:
    """Fake-quantize ``x`` on the grid ``scale * (k - zero)``,
    ``k = 0..maxq``."""
    return dequantize_codes(
        quantize_to_codes(x, scale, zero, maxq), scale, zero)


class Quantizer(nn.Module):
    """Uniform min-max quantizer of GPTQ (per output channel or per
    tensor, symmetric or asymmetric, with optional MSE-optimal clipping).

    Call :meth:`configure` then :meth:`find_params` on the tensor (rows
    are channels) and :meth:`quantize`.
    """

    def __init__(self, shape: int = 1) -> None:
        super().__init__()
        self.register_buffer('maxq', torch.tensor(0))
        self.register_buffer('scale', torch.zeros(shape))
        self.register_buffer('zero', torch.zeros(shape))
        self.bits = 0

    def configure(self,
                  bits: int,
                  perchannel: bool = False,
                  sym: bool = True,
                  mse: bool = False,
                  norm: float = 2.4,
                  grid: int = 100,
                  maxshrink: float = .8) -> None:
        """Set the quantization grid.

        Args:
            bits (int): 2 to 8.
            perchannel (bool): One scale per row (else per tensor).
            sym (bool): Symmetric grid (zero point at the middle code).
            mse (bool): Search the clipping range minimising
                ``|x - q(x)|^norm``.
            norm (float): The norm of the MSE search.
            grid (int): Shrink steps of the MSE search.
            maxshrink (float): Largest relative shrink tried.
        """
        if not isinstance(bits, int) or not 2 <= bits <= 8:
            raise ValueError(f'GPTQ Quantizer: bits must be an int in '
                             f'[2, 8], got {bits!r}.')
        self.bits = bits
        self.maxq = torch.tensor(2**bits - 1)
        self.perchannel = perchannel
        self.sym = sym
        self.mse = mse
        self.norm = norm
        self.grid = grid
        self.maxshrink = maxshrink

    def _range_params(self, xmin: torch.Tensor,
                      xmax: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        maxq = float(self.maxq)
        if self.sym:
            xmax = torch.maximum(torch.abs(xmin), xmax)
            xmin = torch.where(xmin < 0, -xmax, xmin)
        both_zero = (xmin == 0) & (xmax == 0)
        xmin = torch.where(both_zero, -torch.ones_like(xmin), xmin)
        xmax = torch.where(both_zero, torch.ones_like(xmax), xmax)
        scale = (xmax - xmin) / maxq
        if self.sym:
            zero = torch.full_like(scale, (maxq + 1) / 2)
        else:
            zero = torch.round(-xmin / scale)
        return scale, zero

    @torch.no_grad()
    def find_params(self, x: torch.Tensor, weight: bool = False) -> None:
        """Compute ``scale`` and ``zero`` from ``x``.

        Args:
            x (Tensor): A weight (rows = output channels) or activations.
            weight (bool): ``x`` is a weight: scales are ``(rows, 1)``.
        """
        if self.bits == 0:
            raise RuntimeError('GPTQ Quantizer: call configure() first.')
        shape = x.shape
        if self.perchannel:
            x = x.flatten(1) if weight else x.reshape(-1, shape[-1]).t()
        else:
            x = x.flatten().unsqueeze(0)
        zeros = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
        xmin = torch.minimum(x.amin(1), zeros)
        xmax = torch.maximum(x.amax(1), zeros)
        scale, zero = self._range_params(xmin, xmax)

        if self.mse:
            best = torch.full_like(xmin, float('inf'))
            maxq = int(self.maxq)
            for i in range(int(self.maxshrink * self.grid)):
                p = 1 - i / self.grid
                s1, z1 = self._range_params(p * xmin, p * xmax)
                q = quantize(x, s1.unsqueeze(1), z1.unsqueeze(1), maxq)
                err = (q - x).abs_().pow_(self.norm).sum(1)
                better = err < best
                if better.any():
                    best = torch.where(better, err, best)
                    scale = torch.where(better, s1, scale)
                    zero = torch.where(better, z1, zero)

        if not self.perchannel:
            rows = shape[0] if weight else shape[-1]
            scale = scale.repeat(rows)
            zero = zero.repeat(rows)
        if weight:
            self.scale = scale.reshape(-1, 1)
            self.zero = zero.reshape(-1, 1)
        else:
            bshape = [1] * (len(shape) - 1) + [-1]
            self.scale = scale.reshape(bshape)
            self.zero = zero.reshape(bshape)

    def quantize(self, x: torch.Tensor) -> torch.Tensor:
        """Fake-quantize ``x`` with the current parameters."""
        if not self.ready():
            raise RuntimeError('GPTQ Quantizer: call find_params() first.')
        return quantize(x, self.scale, self.zero, int(self.maxq))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Integer codes of ``x`` (as floats) with the current
        parameters."""
        return quantize_to_codes(x, self.scale, self.zero, int(self.maxq))

    def enabled(self) -> bool:
        return int(self.maxq) > 0

    def ready(self) -> bool:
        return bool(torch.all(self.scale != 0))
