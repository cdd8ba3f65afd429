# Copyright (c) OpenMMLab. All rights reserved.
"""LSQ / LSQ+ learnable fake quantization.

LSQ: Learned Step Size Quantization, https://arxiv.org/abs/1902.08153;
LSQ+: https://arxiv.org/abs/2004.09576 (trainable zero point).

The forward pass is written with plain autograd ops (a straight-through
``round``), so it does not depend on torch's private learnable fake-quant
kernels. Gradients are the LSQ ones: for ``v = x / s + z`` inside the
range, ``d/dx = 1`` and ``d/ds = round(v) - v``; outside it ``d/dx = 0`` and
``d/ds = q_{min|max} - z``; the zero point gets ``-s`` outside the range
and 0 inside. With ``use_grad_scaling`` the scale (and zero point)
gradients are multiplied by ``g = 1 / sqrt(N * quant_max)`` where N is the
number of elements per scale.
"""
import math
from typing import Tuple

import torch
from torch.nn.parameter import Parameter

from mmrazor.registry import MODELS
from mmrazor.structures.quantization.torch_ao import FakeQuantizeBase


def _round_ste(x: torch.Tensor) -> torch.Tensor:
    return (x.round() - x).detach() + x


def _grad_scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    scaled = x * factor
    return (x - scaled).detach() + scaled


def learnable_fake_quantize(x: torch.Tensor,
                            scale: torch.Tensor,
                            zero_point: torch.Tensor,
                            quant_min: int,
                            quant_max: int,
                            grad_factor: float = 1.0,
                            ch_axis: int = -1) -> torch.Tensor:
    """LSQ fake quantization with learnable ``scale`` and ``zero_point``.

    Args:
        x (Tensor): Input.
        scale (Tensor): Step size, shape ``(1, )`` or ``(C, )``.
        zero_point (Tensor): Float zero point, same shape as ``scale``.
        quant_min (int): Lower bound of the integer range.
        quant_max (int): Upper bound of the integer range.
        grad_factor (float): Gradient scale of ``scale`` / ``zero_point``.
        ch_axis (int): Channel axis for per-channel qparams, -1 for per
            tensor.

    Returns:
        Tensor: ``(clamp(round(x / s + z), qmin, qmax) - z) * s``.
    """
    if ch_axis >= 0 and scale.numel() > 1:
        shape = [1] * x.dim()
        shape[ch_axis] = -1
        scale = scale.reshape(shape)
        zero_point = zero_point.reshape(shape)
    if grad_factor != 1.0:
        scale = _grad_scale(scale, grad_factor)
        zero_point = _grad_scale(zero_point, grad_factor)
    # rounded and clamped zero point, straight-through for its gradient
    zero_point = zero_point + (torch.clamp(zero_point.round(), quant_min,
                                           quant_max) - zero_point).detach()
    q = torch.clamp(_round_ste(x / scale + zero_point), quant_min, quant_max)
    return (q - zero_point) * scale


@MODELS.register_module()
class LearnableFakeQuantize(FakeQuantizeBase):
    """Fake quantization with learned scale (and zero point).

    Args:
        observer (type): Observer class used for the static estimate of the
            initial qparams (e.g. ``LSQObserver``).
        quant_min (int): Lower bound. Defaults to 0.
        quant_max (int): Upper bound. Defaults to 255.
        scale (float): Initial scale. Defaults to 1.
        zero_point (float): Initial zero point. Defaults to 0.
        use_grad_scaling (bool): Scale the qparam gradients by
            ``1/sqrt(N * quant_max)``. Defaults to True.
        zero_point_trainable (bool): Learn the zero point too (LSQ+).
            Defaults to False.
        **observer_kwargs: Passed to ``observer``.
    """

    def __init__(self,
                 observer,
                 quant_min: int = 0,
                 quant_max: int = 255,
                 scale: float = 1.,
                 zero_point: float = 0.,
                 use_grad_scaling: bool = True,
                 zero_point_trainable: bool = False,
                 **observer_kwargs) -> None:
        super().__init__()
        if quant_min >= quant_max:
            raise ValueError(f'quant_min ({quant_min}) must be smaller than '
                             f'quant_max ({quant_max})')
        self.quant_min = quant_min
        self.quant_max = quant_max
        observer_kwargs['quant_min'] = quant_min
        observer_kwargs['quant_max'] = quant_max
        self.use_grad_scaling = use_grad_scaling
        self.activation_post_process = observer(**observer_kwargs)
        self.dtype = self.activation_post_process.dtype
        self.qscheme = self.activation_post_process.qscheme
        self.ch_axis = getattr(self.activation_post_process, 'ch_axis', -1) \
            if self.qscheme in (torch.per_channel_symmetric,
                                torch.per_channel_affine) else -1
        self.is_dynamic = False
        self.scale = Parameter(torch.tensor([float(scale)]))
        self.zero_point_trainable = zero_point_trainable
        self.zero_point = Parameter(
            torch.tensor([float(zero_point)]),
            requires_grad=zero_point_trainable)
        self.register_buffer('eps',
                             torch.tensor([torch.finfo(torch.float32).eps]))
        self.register_buffer('static_enabled',
                             torch.tensor([1], dtype=torch.uint8))
        self.register_buffer('learning_enabled',
                             torch.tensor([0], dtype=torch.uint8))

    @torch.jit.export
    def extra_repr(self) -> str:
        return (f'static_enabled={int(self.static_enabled[0])}, '
                f'learning_enabled={int(self.learning_enabled[0])}, '
                f'fake_quant_enabled={int(self.fake_quant_enabled[0])}, '
                f'quant_min={self.quant_min}, quant_max={self.quant_max}, '
                f'dtype={self.dtype}, qscheme={self.qscheme}, '
                f'ch_axis={self.ch_axis}, '
                f'use_grad_scaling={self.use_grad_scaling}, '
                f'zero_point_trainable={self.zero_point_trainable}')

    @torch.jit.export
    def enable_param_learning(self) -> 'LearnableFakeQuantize':
        """Learn the qparams; the observer is off."""
        self.toggle_qparam_learning(enabled=True) \
            .toggle_fake_quant(enabled=True) \
            .toggle_observer_update(enabled=False)
        return self

    @torch.jit.export
    def enable_static_estimate(self) -> 'LearnableFakeQuantize':
        """Estimate the qparams with the observer (no learning)."""
        self.toggle_qparam_learning(enabled=False) \
            .toggle_fake_quant(enabled=True) \
            .toggle_observer_update(enabled=True)
        return self

    @torch.jit.export
    def enable_val(self) -> 'LearnableFakeQuantize':
        """Fake-quantize with fixed qparams (validation)."""
        self.toggle_qparam_learning(enabled=False) \
            .toggle_fake_quant(enabled=True) \
            .toggle_observer_update(enabled=False)
        return self

    @torch.jit.export
    def enable_static_observation(self) -> 'LearnableFakeQuantize':
        """Observe only, no fake quantization."""
        self.toggle_qparam_learning(enabled=False) \
            .toggle_fake_quant(enabled=False) \
            .toggle_observer_update(enabled=True)
        return self

    @torch.jit.export
    def toggle_observer_update(self,
                               enabled: bool = True
                               ) -> 'LearnableFakeQuantize':
        self.static_enabled[0] = int(enabled)
        self.observer_enabled[0] = int(enabled)
        return self

    @torch.jit.export
    def enable_observer(self, enabled: bool = True) -> None:
        self.toggle_observer_update(enabled)

    @torch.jit.export
    def disable_observer(self) -> None:
        self.toggle_observer_update(False)

    @torch.jit.export
    def toggle_qparam_learning(self,
                               enabled: bool = True
                               ) -> 'LearnableFakeQuantize':
        self.learning_enabled[0] = int(enabled)
        self.scale.requires_grad = enabled
        self.zero_point.requires_grad = enabled and self.zero_point_trainable
        return self

    @torch.jit.export
    def toggle_fake_quant(self,
                          enabled: bool = True) -> 'LearnableFakeQuantize':
        self.fake_quant_enabled[0] = int(enabled)
        return self

    @torch.jit.export
    def calculate_qparams(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """The current ``(scale, int zero_point)``."""
        scale = self.scale.detach().clamp(min=self.eps.item())
        zero_point = self.zero_point.detach().round().clamp(
            self.quant_min, self.quant_max).long()
        return scale, zero_point

    def _resize_qparams(self, shape: torch.Size) -> None:
        if self.scale.shape != shape:
            self.scale.data = self.scale.data.new_empty(shape)
            self.zero_point.data = self.zero_point.data.new_empty(shape)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Observe (static estimate) and/or fake-quantize ``X``."""
        if self.static_enabled[0] == 1:
            self.activation_post_process(X.detach())
            _scale, _zero_point = \
                self.activation_post_process.calculate_qparams()
            _scale = _scale.to(self.scale.device).float().reshape(-1)
            _zero_point = _zero_point.to(self.zero_point.device).float() \
                .reshape(-1)
            self._resize_qparams(_scale.shape)
            self.scale.data.copy_(_scale)
            self.zero_point.data.copy_(_zero_point)
        else:
            self.scale.data.clamp_(min=self.eps.item())

        if self.fake_quant_enabled[0] == 1:
            if torch.onnx.is_in_onnx_export():
                return self._export_forward(X)
            grad_factor = 1.0
            if self.use_grad_scaling:
                n = X.numel()
                if self.ch_axis >= 0 and self.scale.numel() > 1:
                    n = n / X.shape[self.ch_axis]
                grad_factor = 1.0 / math.sqrt(max(n, 1) * self.quant_max)
            X = learnable_fake_quantize(X, self.scale, self.zero_point,
                                        self.quant_min, self.quant_max,
                                        grad_factor, self.ch_axis)
        return X

    def _export_forward(self, X: torch.Tensor) -> torch.Tensor:
        """Fake quantization with the current (fixed) qparams through
        torch's ``fake_quantize_per_{tensor,channel}_affine``, whose ONNX
        symbolics are ``QuantizeLinear`` -> ``DequantizeLinear``.

        Used while exporting to ONNX; numerically it equals
        :func:`learnable_fake_quantize` up to the rounding of ``x / s``
        versus ``x * (1 / s)`` (at most one quantization step, on values
        exactly between two levels).
        """
        scale, zero_point = self.calculate_qparams()
        # fixed qparams: constants of the exported graph (initializers of
        # QuantizeLinear), not ops on the learnable parameters
        scale = torch.tensor(
            scale.tolist(), dtype=torch.float32, device=X.device)
        zero_point = torch.tensor(
            zero_point.tolist(), dtype=torch.int32, device=X.device)
        if self.ch_axis >= 0 and scale.numel() > 1:
            return torch.fake_quantize_per_channel_affine(
                X, scale, zero_point, self.ch_axis, self.quant_min,
                self.quant_max)
        return torch.fake_quantize_per_tensor_affine(X, scale, zero_point,
                                                     self.quant_min,
                                                     self.quant_max)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        for name in ('scale', 'zero_point'):
            key = prefix + name
            if key in state_dict:
                getattr(self, name).data = getattr(self, name).data.new_empty(
                    state_dict[key].shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)


def _apply(module: torch.nn.Module, method: str) -> None:
    for child in module.modules():
        if isinstance(child, LearnableFakeQuantize):
            getattr(child, method)()


def enable_param_learning(module: torch.nn.Module) -> None:
    """``model.apply(enable_param_learning)``: learn the LSQ qparams."""
    _apply(module, 'enable_param_learning')


def enable_static_estimate(module: torch.nn.Module) -> None:
    """``model.apply(enable_static_estimate)``: observer-initialise them."""
    _apply(module, 'enable_static_estimate')


def enable_val(module: torch.nn.Module) -> None:
    """``model.apply(enable_val)``: fixed qparams for validation."""
    _apply(module, 'enable_val')
