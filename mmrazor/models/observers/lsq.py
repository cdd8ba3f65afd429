# Copyright (c) OpenMMLab. All rights reserved.
import math

import torch
import torch.distributed as dist

from mmrazor.registry import MODELS
from mmrazor.structures.quantization.torch_ao import (MinMaxObserver,
                                                      PerChannelMinMaxObserver)


def sync_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """All-reduce mean of ``tensor`` across ranks (in place) when running
    distributed; a no-op otherwise."""
    if dist.is_available() and dist.is_initialized() and \
            dist.get_world_size() > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        tensor.div_(dist.get_world_size())
    return tensor


class LSQObserverMixIn:
    """The LSQ initial step size ``2 * mean(|x|) / sqrt(quant_max)``."""

    def __init__(self) -> None:
        self.register_buffer('tensor_norm', torch.tensor(0.))

    def _calculate_scale(self) -> torch.Tensor:
        scale = 2 * self.tensor_norm / math.sqrt(self.quant_max)
        scale = torch.clamp(scale, min=self.eps.to(scale.device))
        return sync_tensor(scale.clone())


@MODELS.register_module()
class LSQObserver(MinMaxObserver, LSQObserverMixIn):
    """LSQ observer (per tensor).

    Paper: Learned Step Size Quantization,
    https://arxiv.org/abs/1902.08153. The zero point comes from the min-max
    statistics, the scale from the mean absolute value.
    """

    def __init__(self, *args, **kwargs) -> None:
        MinMaxObserver.__init__(self, *args, **kwargs)
        LSQObserverMixIn.__init__(self)

    def forward(self, x_orig: torch.Tensor) -> torch.Tensor:
        """Record min, max and ``mean(|x|)`` of ``x_orig``."""
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach().to(self.min_val.dtype)
        self.tensor_norm.resize_(()).copy_(x.abs().mean())
        min_val_cur, max_val_cur = torch.aminmax(x)
        self.min_val.copy_(torch.min(min_val_cur, self.min_val))
        self.max_val.copy_(torch.max(max_val_cur, self.max_val))
        return x_orig

    @torch.jit.export
    def calculate_qparams(self):
        """``(scale, zero_point)``; the LSQ scale has shape ``(1, )``."""
        _, zero_point = MinMaxObserver.calculate_qparams(self)
        scale = LSQObserverMixIn._calculate_scale(self).reshape(1)
        return scale, zero_point.reshape(-1)[:1]


@MODELS.register_module()
class LSQPerChannelObserver(PerChannelMinMaxObserver, LSQObserverMixIn):
    """LSQ observer (per channel along ``ch_axis``)."""

    def __init__(self, *args, **kwargs) -> None:
        PerChannelMinMaxObserver.__init__(self, *args, **kwargs)
        LSQObserverMixIn.__init__(self)

    def forward(self, x_orig: torch.Tensor) -> torch.Tensor:
        """Record per-channel min, max and ``mean(|x|)`` of ``x_orig``."""
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach().to(self.min_val.dtype)
        y = torch.flatten(x.transpose(0, self.ch_axis), start_dim=1)
        self.tensor_norm.resize_(y.shape[0]).copy_(y.abs().mean(1))
        return PerChannelMinMaxObserver.forward(self, x_orig)

    @torch.jit.export
    def calculate_qparams(self):
        """``(scale, zero_point)`` per channel."""
        _, zero_point = PerChannelMinMaxObserver.calculate_qparams(self)
        scale = LSQObserverMixIn._calculate_scale(self)
        return scale, zero_point

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'tensor_norm'
        if key in state_dict:
            self.tensor_norm.resize_(state_dict[key].shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
