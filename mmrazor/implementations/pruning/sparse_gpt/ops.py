# Copyright (c) OpenMMLab. All rights reserved.
"""SparseGPT layers (Frantar & Alistarh, 2023).

The weight is pruned column block by column block. Inside a block of
``blocksize`` columns, every column is masked and the error it causes is
compensated on the block's remaining columns with the row of the upper
Cholesky factor of ``H^-1``; the accumulated block error is applied to all
later columns at once (lazy batched update).
"""
import torch
import torch.nn as nn

from .hessian import HessianMixIn


class SparseGptMixIn(HessianMixIn):
    """SparseGPT pruning for a ``nn.Linear``/``nn.Conv2d`` subclass."""

    #: Columns per sub-block inside a lazy-update block (see :meth:`prune`).
    sub_blocksize = 16

    def _sparse_gpt_mix_in_init(self) -> None:
        self._hessian_mix_in_init()

    @classmethod
    def convert_from(cls, module: nn.Module) -> nn.Module:
        """Build the SparseGPT op sharing ``module``'s parameters."""
        raise NotImplementedError

    def to_static(self) -> nn.Module:
        """The plain layer with the current (sparse) weights."""
        raise NotImplementedError

    def _check_nm(self, columns: int, prunen: int, prunem: int,
                  blocksize: int) -> None:
        if prunen == 0 and prunem == 0:
            return
        if not 0 < prunen < prunem:
            raise ValueError(f'Layer {self.layer_name!r}: N:M sparsity needs '
                             f'0 < prunen < prunem, got prunen={prunen}, '
                             f'prunem={prunem}.')
        if columns % prunem != 0:
            raise ValueError(
                f'Layer {self.layer_name!r}: prunem={prunem} does not '
                f'divide its {columns} weight columns, so {prunen}:{prunem} '
                'groups cannot be formed; skip this layer or choose another '
                'prunem.')
        if blocksize % prunem != 0:
            raise ValueError(
                f'Layer {self.layer_name!r}: blocksize={blocksize} must be '
                f'a multiple of prunem={prunem}.')

    @torch.no_grad()
    def prune(self,
              sparsity: float,
              prunen: int = 0,
              prunem: int = 0,
              blocksize: int = 128,
              percdamp: float = .01) -> float:
        """Prune the weight with SparseGPT.

        Args:
            sparsity (float): Fraction of weights to zero (unstructured,
                used when ``prunen == prunem == 0``); the mask is chosen
                per column block from ``w^2 / [H^-1]_jj^2``.
            prunen (int): N of N:M sparsity (N weights of every M
                consecutive input columns are zeroed). 0 for unstructured.
            prunem (int): M of N:M sparsity.
            blocksize (int): Columns per lazy-update block.
            percdamp (float): Dampening, relative to the mean diagonal.

        Returns:
            float: The layer's estimated reconstruction error
            ``sum (w - q)^2 / [H^-1]_jj^2 / 2``.
        """
        W = self.weight_matrix.detach().to(self._solver_dtype(), copy=True)
        rows, columns = W.shape
        if not 0 <= sparsity < 1:
            raise ValueError(f'Layer {self.layer_name!r}: sparsity must be '
                             f'in [0, 1), got {sparsity}.')
        if blocksize < 1:
            raise ValueError(f'Layer {self.layer_name!r}: blocksize must '
                             f'be >= 1, got {blocksize}.')
        self._check_nm(columns, prunen, prunem, blocksize)
        W, Hinv = self._hessian_inverse(W, percdamp)

        # work on the transpose: one weight column is one contiguous row;
        # Dt holds the pruned values (the errors) of the swept columns
        Wt = W.t().contiguous()
        Dt = torch.empty_like(Wt)
        mask = torch.zeros_like(Wt, dtype=torch.bool)
        # row j of G: how column j's error moves the later columns,
        # ``[H^-1]_j,: / [H^-1]_jj`` (U's rows over their diagonal)
        diag = Hinv.diagonal().clone()
        G = Hinv.div_(diag.unsqueeze(1))
        # one view per column, made once instead of once per column
        w_rows, d_rows, m_rows = Wt.unbind(0), Dt.unbind(0), mask.unbind(0)
        # sub-blocks hold whole N:M groups
        sub = self.sub_blocksize
        if prunen != 0:
            sub = max(prunem, sub // prunem * prunem)

        for i1 in range(0, columns, blocksize):
            i2 = min(i1 + blocksize, columns)
            W1, mask1 = Wt[i1:i2], mask[i1:i2]
            d1 = diag[i1:i2].unsqueeze(1)
            if prunen == 0:
                score = W1**2 / d1**2
                k = int(score.numel() * sparsity)
                if k > 0:
                    idx = torch.topk(score.flatten(), k, largest=False).indices
                    mask1.view(-1)[idx] = True

            # rank-1 updates stay inside a sub-block, whose errors reach the
            # rest of the block in one product (lazy update, one level down)
            for s1 in range(i1, i2, sub):
                s2 = min(s1 + sub, i2)
                # G is upper triangular with a unit diagonal: the whole
                # sub-block can take G's row (columns before ``col`` stay,
                # ``col`` loses its pruned weights), no per-column slices
                W_sub = Wt[s1:s2]
                g_rows = G[s1:s2, s1:s2].unbind(0)
                for col in range(s1, s2):
                    if prunen != 0 and (col - i1) % prunem == 0:
                        score = Wt[col:col + prunem]**2 / \
                            diag[col:col + prunem].unsqueeze(1)**2
                        idx = torch.topk(
                            score, prunen, dim=0, largest=False)[1]
                        mask[col:col + prunem].scatter_(0, idx, True)
                    d = torch.mul(w_rows[col], m_rows[col], out=d_rows[col])
                    if col + 1 < s2:
                        # compensate the sub-block's later columns (rank-1)
                        W_sub.addr_(g_rows[col - s1], d, alpha=-1)
                if s2 < i2:
                    Wt[s2:i2].addmm_(G[s1:s2, s2:i2].t(), Dt[s1:s2], alpha=-1)

            W1.masked_fill_(mask1, 0)
            # the lazy batched update of all later columns
            if i2 < columns:
                Wt[i2:].addmm_(G[i1:i2, i2:].t(), Dt[i1:i2], alpha=-1)
        loss = (torch.linalg.vector_norm(Dt, dim=1) / diag).pow_(2).sum() / 2

        W = Wt.t()
        self.weight_matrix = W
        return float(loss)


class SparseGptLinear(SparseGptMixIn, nn.Linear):
    """A ``nn.Linear`` that collects its Hessian and prunes with
    SparseGPT."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sparse_gpt_mix_in_init()

    @classmethod
    def convert_from(cls, module: nn.Linear) -> 'SparseGptLinear':
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


class SparseGptConv2d(SparseGptMixIn, nn.Conv2d):
    """A ``nn.Conv2d`` (groups=1) that collects its Hessian and prunes
    with SparseGPT (the weight as ``out x (in*kh*kw)`` matrix)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sparse_gpt_mix_in_init()

    @classmethod
    def convert_from(cls, module: nn.Conv2d) -> 'SparseGptConv2d':
        return _convert_conv(cls, module)

    def to_static(self) -> nn.Conv2d:
        return _convert_conv(nn.Conv2d, self)


def _convert_conv(cls, module: nn.Conv2d) -> nn.Conv2d:
    """``cls`` with ``module``'s hyper-parameters and shared parameters."""
    new = cls(
        module.in_channels,
        module.out_channels,
        module.kernel_size,
        stride=module.stride,
        padding=module.padding,
        dilation=module.dilation,
        groups=module.groups,
        bias=module.bias is not None,
        padding_mode=module.padding_mode,
        device='meta')
    new.weight = module.weight
    new.bias = module.bias
    return new
