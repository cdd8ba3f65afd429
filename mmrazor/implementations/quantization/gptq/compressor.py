# Copyright (c) OpenMMLab. All rights reserved.
"""One-shot GPTQ weight quantization of a whole model."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn

from mmrazor.implementations.pruning.sparse_gpt.utils import (
    log_progress, replace_with_dynamic_ops, to_static_layers,
    warn_grouped_convs)
from .ops import GPTQConv2d, GPTQLinear, GPTQMixIn
from .packed import PackedGPTQConv2d, PackedGPTQLinear


class GPTQCompressor:
    """Quantize the weights of the linear and/or convolution layers of a
    model with GPTQ.

    Usage::

        compressor = GPTQCompressor()
        compressor.prepare(model, skipped_layers=['lm_head'])
        compressor.init_hessian()
        compressor.register_hessian_hooks()
        for batch in calibration_batches:
            model(batch)
        compressor.remove_hessian_hooks()
        compressor.quant_with_default_qconfig()   # 4-bit, group 128
        packed = compressor.to_packed_model()     # or to_static_model()
    """

    def __init__(self) -> None:
        self.model: Optional[nn.Module] = None

    def prepare(self,
                model: nn.Module,
                quant_conv: bool = True,
                quant_linear: bool = True,
                use_triton_ops: bool = False,
                skipped_layers: Sequence[str] = (),
                a_qconfig: Optional[dict] = None) -> nn.Module:
        """Swap the layers to quantize for GPTQ ops (in place).

        Args:
            model (nn.Module): The model.
            quant_conv (bool): Quantize ``nn.Conv2d`` layers (groups=1).
            quant_linear (bool): Quantize ``nn.Linear`` layers.
            use_triton_ops (bool): Packed triton GPU kernels. Not provided:
                must be False; :meth:`to_packed_model` gives packed layers
                with a dequantize-and-matmul forward on any device.
            skipped_layers (Sequence[str]): Module paths not to quantize.
            a_qconfig (dict, optional): Activation quantization. Not
                provided: must be None (GPTQ quantizes weights).

        Returns:
            nn.Module: The same model.
        """
        if use_triton_ops:
            raise ValueError(
                'GPTQCompressor.prepare: use_triton_ops=True needs triton '
                'GPU kernels, which this release does not provide; use '
                'use_triton_ops=False and to_packed_model() for packed '
                'low-bit layers.')
        if a_qconfig is not None:
            raise ValueError(
                'GPTQCompressor.prepare: a_qconfig (activation '
                'quantization) is not supported; GPTQ here quantizes '
                'weights only. Pass a_qconfig=None.')
        known = {n for n, _ in model.named_modules()}
        unknown = sorted(set(skipped_layers) - known)
        if unknown:
            raise KeyError(f'GPTQCompressor.prepare: skipped_layers '
                           f'{unknown} are not modules of the model.')
        op_map = {}
        if quant_conv:
            op_map[nn.Conv2d] = GPTQConv2d
        if quant_linear:
            op_map[nn.Linear] = GPTQLinear
        replace_with_dynamic_ops(
            model,
            op_map,
            skipped_layers=skipped_layers,
            op_filter=lambda name, m: getattr(m, 'groups', 1) == 1)
        warn_grouped_convs(model, quant_conv, 'GPTQCompressor')
        self.model = model
        return model

    @property
    def quant_ops(self) -> Dict[str, GPTQMixIn]:
        """``{path: op}`` of the prepared layers."""
        if self.model is None:
            raise RuntimeError('GPTQCompressor: call prepare(model) first.')
        return {
            name: m
            for name, m in self.model.named_modules()
            if isinstance(m, GPTQMixIn)
        }

    # -- Hessians ------------------------------------------------------
    def init_hessian(self, device: Optional[torch.device] = None) -> None:
        """Zero the Hessian of every prepared layer."""
        for op in self.quant_ops.values():
            op.init_hessian(device)

    def register_hessian_hooks(self) -> None:
        """Collect every prepared layer's inputs on later forwards."""
        for op in self.quant_ops.values():
            op.start_init_hessian()

    def remove_hessian_hooks(self) -> None:
        """Stop collecting inputs."""
        for op in self.quant_ops.values():
            op.end_init_hessian()

    # -- quantization --------------------------------------------------
    def quant(self,
              blocksize: int = 128,
              percdamp: float = 0.01,
              groupsize: int = -1,
              actorder: bool = False,
              verbose: bool = True,
              **qconfig) -> Dict[str, float]:
        """Quantize every prepared layer with GPTQ.

        Args:
            blocksize (int): Columns per lazy-update block.
            percdamp (float): Dampening relative to the mean diagonal.
            groupsize (int): Columns per scale group; -1 per channel.
            actorder (bool): Quantize columns by decreasing ``H_jj``.
            verbose (bool): Log one progress line per layer.
            **qconfig: ``bits`` (2-8), ``sym``, ``perchannel``, ``mse``...

        Returns:
            dict: ``{path: estimated reconstruction error}``.
        """
        ops = self.quant_ops
        errors = {}
        for i, (name, op) in enumerate(ops.items()):
            errors[name] = op.quant(
                blocksize=blocksize,
                percdamp=percdamp,
                groupsize=groupsize,
                actorder=actorder,
                **qconfig)
            op.free_hessian()
            if verbose:
                log_progress(name, i + 1, len(ops),
                             f'error={errors[name]:.4g}')
        return errors

    def quant_with_default_qconfig(self,
                                   groupsize: int = 128,
                                   verbose: bool = True) -> Dict[str, float]:
        """4-bit asymmetric per-channel GPTQ with groups of ``groupsize``
        columns, act-order, blocksize 128, 1 % dampening."""
        return self.quant(
            blocksize=128,
            percdamp=0.01,
            groupsize=groupsize,
            actorder=True,
            verbose=verbose,
            bits=4,
            perchannel=True,
            sym=False)

    # -- export --------------------------------------------------------
    def _model(self, model: Optional[nn.Module]) -> nn.Module:
        model = self.model if model is None else model
        if model is None:
            raise RuntimeError('GPTQCompressor: no model given and none '
                               'prepared.')
        for op in model.modules():
            if isinstance(op, GPTQMixIn):
                op.end_init_hessian()
        return model

    def to_static_model(self, model: Optional[nn.Module] = None) -> nn.Module:
        """Plain ``nn.Linear``/``nn.Conv2d`` layers holding the
        fake-quantized (dequantized fp32) weights (in place)."""
        model = to_static_layers(self._model(model), (GPTQMixIn, ))
        if model is self.model:
            self.model = None
        return model

    def to_packed_model(self, model: Optional[nn.Module] = None) -> nn.Module:
        """Replace the quantized layers with :class:`PackedGPTQLinear` /
        :class:`PackedGPTQConv2d` (packed codes, same outputs); layers not
        quantized become plain layers (in place)."""
        model = self._model(model)
        for name, op in list(model.named_modules()):
            if not isinstance(op, GPTQMixIn) or not op.is_quantized:
                continue
            cls = PackedGPTQLinear if isinstance(op, nn.Linear) \
                else PackedGPTQConv2d
            new = cls.from_gptq(op).to(op.weight.device)
            new.train(op.training)
            if name == '':
                return new
            parent = model.get_submodule(name.rpartition('.')[0])
            setattr(parent, name.rpartition('.')[2], new)
        model = to_static_layers(model, (GPTQMixIn, ))
        if model is self.model:
            self.model = None
        return model
