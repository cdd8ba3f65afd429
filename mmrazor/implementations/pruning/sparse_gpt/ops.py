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
        losses = torch.zeros(rows, dtype=W.dtype, device=W.device)

        # work on the transpose: one weight column is one contiguous row
        Wt = W.t().contiguous()
        for i1 in range(0, columns, blocksize):
            i2 = min(i1 + blocksize, columns)
            count = i2 - i1
            W1 = Wt[i1:i2].clone()
            Err1 = torch.zeros_like(W1)
            Hinv1 = Hinv[i1:i2, i1:i2]
            d1 = torch.diag(Hinv1).reshape(-1, 1)

            mask1 = torch.zeros_like(W1, dtype=torch.bool)
            if prunen == 0:
                score = W1**2 / d1**2
                k = int(score.numel() * sparsity)
                if k > 0:
                    idx = torch.topk(score.flatten(), k, largest=False).indices
                    mask1.view(-1)[idx] = True

            for i in range(count):
                if prunen != 0 and i % prunem == 0:
                    score = W1[i:i + prunem]**2 / d1[i:i + prunem]**2
                    idx = torch.topk(score, prunen, dim=0, largest=False)[1]
                    mask1.scatter_(0, i + idx, True)
                err1 = W1[i] * mask1[i] / Hinv1[i, i]
                # compensate the block's remaining columns (rank-1 update)
                W1[i:].addr_(Hinv1[i, i:], err1, alpha=-1)
                Err1[i] = err1

            Wt[i1:i2] = W1.masked_fill(mask1, 0)
            losses += Err1.pow(2).sum(0) / 2
            # the lazy batched update of all later columns
            Wt[i2:].addmm_(Hinv[i1:i2, i2:].t(), Err1, alpha=-1)

        W = Wt.t()
        self.weight_matrix = W
        return float(losses.sum())


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
