# Copyright (c) OpenMMLab. All rights reserved.
"""One-shot SparseGPT pruning of a whole model."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn

from .ops import SparseGptConv2d, SparseGptLinear, SparseGptMixIn
from .utils import (log_progress, replace_with_dynamic_ops, to_static_layers,
                    warn_grouped_convs)


class SparseGptCompressor:
    """Prune the linear and/or convolution layers of a model with
    SparseGPT.

    Usage::

        compressor = SparseGptCompressor()
        compressor.prepare(model)
        compressor.init_hessian()
        compressor.register_hessian_hooks()
        for batch in calibration_batches:
            model(batch)
        compressor.remove_hessian_hooks()
        compressor.prune_24()          # or prune(0.5)
        model = compressor.to_static_model(model)
    """

    def __init__(self) -> None:
        self.model: Optional[nn.Module] = None

    # -- preparation ---------------------------------------------------
    def prepare(
        self,
        model: nn.Module,
        prune_conv: bool = True,
        prune_linear: bool = True,
        skipped_layers: Sequence[str] = ()
    ) -> nn.Module:
        """Swap the layers to prune for SparseGPT ops (in place).

        Grouped convolutions are left alone (their weight is not one
        ``out x in*kh*kw`` matrix acting on one input).

        Args:
            model (nn.Module): The model.
            prune_conv (bool): Prune ``nn.Conv2d`` layers (groups=1).
            prune_linear (bool): Prune ``nn.Linear`` layers.
            skipped_layers (Sequence[str]): Module paths not to prune
                (e.g. a stem convolution with a single input channel).

        Returns:
            nn.Module: The same model.
        """
        known = {n for n, _ in model.named_modules()}
        unknown = sorted(set(skipped_layers) - known)
        if unknown:
            raise KeyError(f'SparseGptCompressor.prepare: skipped_layers '
                           f'{unknown} are not modules of the model.')
        op_map = {}
        if prune_conv:
            op_map[nn.Conv2d] = SparseGptConv2d
        if prune_linear:
            op_map[nn.Linear] = SparseGptLinear
        replace_with_dynamic_ops(
            model,
            op_map,
            skipped_layers=skipped_layers,
            op_filter=lambda name, m: getattr(m, 'groups', 1) == 1)
        warn_grouped_convs(model, prune_conv, 'SparseGptCompressor')
        self.model = model
        return model

    @property
    def sparse_ops(self) -> Dict[str, SparseGptMixIn]:
        """``{path: op}`` of the prepared layers."""
        if self.model is None:
            raise RuntimeError('SparseGptCompressor: call prepare(model) '
                               'first.')
        return {
            name: m
            for name, m in self.model.named_modules()
            if isinstance(m, SparseGptMixIn)
        }

    # -- Hessians ------------------------------------------------------
    def init_hessian(self, device: Optional[torch.device] = None) -> None:
        """Zero the Hessian of every prepared layer."""
        for op in self.sparse_ops.values():
            op.init_hessian(device)

    def register_hessian_hooks(self) -> None:
        """Collect every prepared layer's inputs on later forwards."""
        for op in self.sparse_ops.values():
            op.start_init_hessian()

    def remove_hessian_hooks(self) -> None:
        """Stop collecting inputs."""
        for op in self.sparse_ops.values():
            op.end_init_hessian()

    # -- pruning -------------------------------------------------------
    def prune(self,
              sparsity: float,
              prunen: int = 0,
              prunem: int = 0,
              blocksize: int = 128,
              percdamp: float = .01,
              verbose: bool = True) -> Dict[str, float]:
        """Prune every prepared layer with SparseGPT.

        Args:
            sparsity (float): Unstructured sparsity (ignored for N:M).
            prunen (int): N of N:M (0 for unstructured).
            prunem (int): M of N:M.
            blocksize (int): Columns per lazy-update block.
            percdamp (float): Dampening relative to the mean diagonal.
            verbose (bool): Log one progress line per layer.

        Returns:
            dict: ``{path: estimated reconstruction error}``.
        """
        ops = self.sparse_ops
        errors = {}
        for i, (name, op) in enumerate(ops.items()):
            errors[name] = op.prune(
                sparsity,
                prunen=prunen,
                prunem=prunem,
                blocksize=blocksize,
                percdamp=percdamp)
            op.free_hessian()
            if verbose:
                log_progress(name, i + 1, len(ops),
                             f'error={errors[name]:.4g}')
        return errors

    def prune_24(self,
                 blocksize: int = 128,
                 percdamp: float = .01,
                 verbose: bool = True) -> Dict[str, float]:
        """2:4 SparseGPT pruning of every prepared layer."""
        return self.prune(
            0.5,
            prunen=2,
            prunem=4,
            blocksize=blocksize,
            percdamp=percdamp,
            verbose=verbose)

    # -- export --------------------------------------------------------
    def to_static_model(self, model: Optional[nn.Module] = None) -> nn.Module:
        """Replace the SparseGPT ops with plain ``nn.Linear``/``nn.Conv2d``
        holding the pruned weights (in place).

        Args:
            model (nn.Module, optional): Defaults to the prepared model.

        Returns:
            nn.Module: The static model.
        """
        model = self.model if model is None else model
        if model is None:
            raise RuntimeError('SparseGptCompressor.to_static_model: no '
                               'model given and none prepared.')
        for op in model.modules():
            if isinstance(op, SparseGptMixIn):
                op.end_init_hessian()
        model = to_static_layers(model, (SparseGptMixIn, ))
        if model is self.model:
            self.model = None
        return model
