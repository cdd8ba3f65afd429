# Copyright (c) OpenMMLab. All rights reserved.
"""Layer-input Hessians shared by SparseGPT and GPTQ.

For a layer ``y = W x`` and the squared reconstruction error
``||W x - W' x||^2`` the Hessian with respect to a row of ``W`` is
``H = 2 / n * sum_i x_i x_i^T`` over the ``n`` calibration inputs (tokens
for a linear layer, sliding-window patches for a convolution).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class HessianMixIn:
    """Accumulates the input Hessian of a ``nn.Linear``/``nn.Conv2d``.

    The class using it must be an ``nn.Linear`` or ``nn.Conv2d``
    subclass. ``layer_name`` is set by the compressors so that errors name
    the layer.
    """

    #: dtype the Hessian is accumulated and inverted in.
    hessian_dtype = torch.float32

    def _hessian_mix_in_init(self) -> None:
        self.hessian: Optional[torch.Tensor] = None
        self.hessian_samples = 0
        self._hessian_handle = None
        self.layer_name = self.__class__.__name__

    # -- input formatting ----------------------------------------------
    @property
    def weight_matrix(self) -> torch.Tensor:
        """The weight as a ``(rows, columns)`` matrix (a view)."""
        return self.weight.flatten(1)

    @weight_matrix.setter
    def weight_matrix(self, value: torch.Tensor) -> None:
        self.weight.data = value.reshape(self.weight.shape).to(
            self.weight.dtype)

    def format_input(self, x: torch.Tensor) -> torch.Tensor:
        """Turn a layer input into a ``(columns, samples)`` matrix."""
        if isinstance(self, nn.Conv2d):
            if self.padding_mode != 'zeros':
                x = F.pad(
                    x,
                    self._reversed_padding_repeated_twice,
                    mode=self.padding_mode)
                padding = 0
            else:
                padding = self.padding
            if isinstance(padding, str):
                raise ValueError(
                    f'{self.layer_name}: string padding {padding!r} is not '
                    'supported for Hessian collection; use int padding.')
            cols = F.unfold(
                x,
                self.kernel_size,
                dilation=self.dilation,
                padding=padding,
                stride=self.stride)  # N, C*kh*kw, L
            return cols.transpose(0, 1).reshape(cols.shape[1], -1)
        return x.reshape(-1, x.shape[-1]).t()

    # -- accumulation --------------------------------------------------
    def init_hessian(self, device: Optional[torch.device] = None) -> None:
        """Reset the Hessian to zeros (on ``device`` or the weight's)."""
        cols = self.weight_matrix.shape[1]
        device = self.weight.device if device is None else device
        self.hessian = torch.zeros(
            cols, cols, dtype=self.hessian_dtype, device=device)
        self.hessian_samples = 0

    @torch.no_grad()
    def update_hessian(self, x: torch.Tensor) -> None:
        """Add the inputs ``x`` (one forward's input) to the running mean
        ``H = 2 / n * sum x x^T``."""
        if self.hessian is None:
            self.init_hessian()
        mat = self.format_input(x.detach()).to(
            device=self.hessian.device, dtype=self.hessian_dtype)
        n = mat.shape[1]
        if n == 0:
            return
        total = self.hessian_samples + n
        self.hessian.mul_(self.hessian_samples / total)
        self.hessian.addmm_(mat, mat.t(), alpha=2.0 / total)
        self.hessian_samples = total

    def start_init_hessian(self) -> None:
        """Zero the Hessian and collect inputs with a forward pre-hook."""
        self.end_init_hessian()
        self.init_hessian()

        def hook(module, args):
            module.update_hessian(args[0])

        self._hessian_handle = self.register_forward_pre_hook(hook)

    def end_init_hessian(self) -> None:
        """Stop collecting inputs (the Hessian is kept)."""
        if self._hessian_handle is not None:
            self._hessian_handle.remove()
            self._hessian_handle = None

    def free_hessian(self) -> None:
        """Release the Hessian's memory."""
        self.hessian = None
        self.hessian_samples = 0

    # -- the inverse used by the solvers --------------------------------
    def _solver_dtype(self) -> torch.dtype:
        """fp64 for fp64 layers, else fp32."""
        return torch.float64 if self.weight.dtype == torch.float64 \
            else torch.float32

    def _check_hessian(self) -> None:
        if self.hessian is None or self.hessian_samples == 0:
            raise RuntimeError(
                f'Layer {self.layer_name!r} has no calibration data: its '
                'Hessian was never updated. Register the Hessian hooks '
                '(compressor.register_hessian_hooks()) and run calibration '
                'forwards through this layer before compressing it.')

    def _hessian_inverse(
        self,
        weight: torch.Tensor,
        percdamp: float,
        perm: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Dampened inverse Hessian as its upper Cholesky factor.

        Columns whose inputs were always zero ("dead") get ``H_jj = 1`` and
        a zero weight. ``percdamp`` times the mean diagonal is added to the
        diagonal before inverting.

        Args:
            weight (Tensor): ``(rows, columns)`` float working copy of the
                weight; dead columns are zeroed in place.
            percdamp (float): Relative dampening.
            perm (Tensor, optional): Column order of ``weight`` (act-order);
                the Hessian is permuted alike.

        Returns:
            tuple: ``(weight, U)`` with ``U`` upper-triangular and
            ``U^T U = H^-1``.
        """
        self._check_hessian()
        if percdamp < 0:
            raise ValueError(f'{self.layer_name}: percdamp must be >= 0, '
                             f'got {percdamp}')
        H = self.hessian.to(device=weight.device, dtype=weight.dtype)
        if perm is None:
            H = H.clone()
        else:
            perm = perm.to(H.device)
            H = H[perm][:, perm]
        diag = H.diagonal()
        dead = diag == 0
        diag[dead] = 1
        weight[:, dead] = 0
        diag.add_(percdamp * torch.mean(diag))
        try:
            U = inverse_upper_cholesky(H, overwrite_input=True)
        except torch.linalg.LinAlgError as e:
            raise RuntimeError(
                f'Layer {self.layer_name!r}: the dampened Hessian is not '
                f'positive definite (percdamp={percdamp}); increase '
                'percdamp or use more calibration data.') from e
        return weight, U


def inverse_upper_cholesky(H: torch.Tensor,
                           base: int = 128,
                           overwrite_input: bool = False) -> torch.Tensor:
    """Upper Cholesky factor ``U`` of ``H^-1`` (``U^T U = H^-1``) for a
    symmetric positive definite ``H``, without forming ``H^-1``.

    ``U = M^-1`` for the upper-triangular ``M`` with ``H = M M^T``. Split
    ``H = [[A, B], [B^T, C]]`` and ``M = [[M11, M12], [0, M22]]``:
    ``M22 M22^T = C``, ``M12 = B M22^-T``, ``M11 M11^T = A - M12 M12^T``,
    and ``U = [[U11, -U11 M12 U22], [0, U22]]`` with ``U11 = M11^-1``,
    ``U22 = M22^-1``. The recursion computes the factorization and the
    triangular inverse together, mostly in matrix products (a single pass,
    faster than LAPACK's Cholesky followed by a triangular inverse); blocks
    of at most ``base`` rows use ``torch.linalg.cholesky`` on the reversed
    matrix. Every level works inside the result and ``H``: no
    matrix-sized temporaries.

    Args:
        H (Tensor): ``n x n`` symmetric positive definite matrix.
        base (int): Largest block solved directly.
        overwrite_input (bool): ``H`` is scratch and may be overwritten
            (saves a copy).

    Returns:
        Tensor: ``n x n`` upper-triangular ``U``.

    Raises:
        torch.linalg.LinAlgError: ``H`` is not positive definite.
    """
    if not overwrite_input:
        H = H.clone()
    out = torch.empty_like(H)
    _inverse_upper_cholesky(H, base, out)
    return out


def _inverse_upper_cholesky(H: torch.Tensor, base: int,
                            out: torch.Tensor) -> None:
    """:func:`inverse_upper_cholesky` of ``H`` (overwritten) into ``out``
    (views of the caller's matrices)."""
    n = H.shape[0]
    if n <= base:
        # with J the reversal, J H J = L L^T gives M = J L J
        L = torch.linalg.cholesky(H.flip(0, 1))
        eye = torch.eye(n, dtype=H.dtype, device=H.device)
        out.copy_(
            torch.linalg.solve_triangular(L, eye, upper=False).flip(0, 1))
        return
    h = n // 2
    U11, U12, U22 = out[:h, :h], out[:h, h:], out[h:, h:]
    # the lower-left block (zero in the end) is free until then; its
    # transpose has the shape of M12
    scratch = out[h:, :h].t()
    _inverse_upper_cholesky(H[h:, h:], base, U22)
    M12 = torch.matmul(H[:h, h:], U22.t(), out=U12)
    # the Schur complement A - M12 M12^T, in place of A
    A = H[:h, :h].addmm_(M12, M12.t(), alpha=-1)
    _inverse_upper_cholesky(A, base, U11)
    X = torch.matmul(M12, U22, out=scratch)
    torch.matmul(U11, X, out=U12).neg_()
    scratch.zero_()


def lower_triangular_inverse(L: torch.Tensor, base: int = 128) -> torch.Tensor:
    """Inverse of a lower-triangular matrix by recursive 2x2 blocking.

    ``[[A, 0], [B, C]]^-1 = [[A^-1, 0], [-C^-1 B A^-1, C^-1]]``; blocks of
    at most ``base`` rows are solved directly. About a third of the work of
    a triangular solve against the identity, mostly in matrix products.
    """
    n = L.shape[0]
    if n <= base:
        eye = torch.eye(n, dtype=L.dtype, device=L.device)
        return torch.linalg.solve_triangular(L, eye, upper=False)
    h = n // 2
    A_inv = lower_triangular_inverse(L[:h, :h], base)
    C_inv = lower_triangular_inverse(L[h:, h:], base)
    out = torch.zeros_like(L)
    out[:h, :h] = A_inv
    out[h:, h:] = C_inv
    out[h:, :h] = -C_inv.matmul(L[h:, :h].matmul(A_inv))
    return out
