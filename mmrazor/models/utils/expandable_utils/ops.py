# Copyright (c) OpenMMLab. All rights reserved.
"""Builders of widened static ops.

Each ``expand_from(module, in_inserts, out_inserts, zero)`` returns a new
plain op of the same type with channels inserted: ``inserts`` is a list of
``(position, count)`` in the original channel indices. New weights are
zero with ``zero=True`` (the widened model computes exactly what the
original one did: new output channels produce zeros and new input
channels are ignored); otherwise they are initialised randomly.
"""
from typing import List, Tuple

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

Inserts = List[Tuple[int, int]]


def insert_channels(t: Tensor, dim: int, inserts: Inserts,
                    fill: float) -> Tensor:
    """Insert ``count`` entries filled with ``fill`` (or random normal
    values when ``fill`` is NaN) before each ``position`` along ``dim``.
    """
    if not inserts:
        return t
    pieces, prev = [], 0
    for pos, count in sorted(inserts):
        pieces.append(t.narrow(dim, prev, pos - prev))
        shape = list(t.shape)
        shape[dim] = count
        if fill != fill:
            new = torch.randn(shape, dtype=t.dtype, device=t.device) * 0.01
        else:
            new = torch.full(shape, fill, dtype=t.dtype, device=t.device)
        pieces.append(new)
        prev = pos
    pieces.append(t.narrow(dim, prev, t.shape[dim] - prev))
    return torch.cat(pieces, dim)


def _total(inserts: Inserts) -> int:
    return sum(c for _, c in inserts)


class ExpandableConv2d:
    """Widens ``nn.Conv2d`` (plain and depthwise)."""

    @staticmethod
    def expand_from(module: nn.Conv2d, in_inserts: Inserts,
                    out_inserts: Inserts, zero: bool) -> nn.Conv2d:
        fill = 0.0 if zero else float('nan')
        groups = module.groups
        depthwise = groups == module.in_channels == module.out_channels \
            and groups > 1
        if groups > 1 and not depthwise:
            raise NotImplementedError(
                f'{type(module).__name__}(groups={groups}) can not be '
                'widened (only plain and depthwise convolutions can)')
        weight, bias = module.weight.detach(), module.bias
        if depthwise:
            if sorted(in_inserts) != sorted(out_inserts):
                raise ValueError('a depthwise convolution must be widened '
                                 'equally on its input and output')
            weight = insert_channels(weight, 0, out_inserts, fill)
            groups = groups + _total(out_inserts)
            in_channels = out_channels = weight.shape[0]
        else:
            weight = insert_channels(weight, 0, out_inserts, fill)
            weight = insert_channels(weight, 1, in_inserts, fill)
            out_channels, in_channels = weight.shape[0], weight.shape[1]
        new = type(module).__new__(type(module))
        new.__dict__.update(module.__dict__)
        new._parameters = type(module._parameters)()
        new._buffers = type(module._buffers)(module._buffers)
        new._modules = type(module._modules)(module._modules)
        new.in_channels, new.out_channels = in_channels, out_channels
        new.groups = groups
        new.weight = nn.Parameter(weight.contiguous())
        if bias is not None:
            new.bias = nn.Parameter(
                insert_channels(bias.detach(), 0, out_inserts, 0.0))
        else:
            new.register_parameter('bias', None)
        return new


class ExpandLinear:
    """Widens ``nn.Linear``."""

    @staticmethod
    def expand_from(module: nn.Linear, in_inserts: Inserts,
                    out_inserts: Inserts, zero: bool) -> nn.Linear:
        fill = 0.0 if zero else float('nan')
        weight = insert_channels(module.weight.detach(), 0, out_inserts, fill)
        weight = insert_channels(weight, 1, in_inserts, fill)
        new = type(module).__new__(type(module))
        new.__dict__.update(module.__dict__)
        new._parameters = type(module._parameters)()
        new._buffers = type(module._buffers)(module._buffers)
        new._modules = type(module._modules)(module._modules)
        new.out_features, new.in_features = weight.shape
        new.weight = nn.Parameter(weight.contiguous())
        if module.bias is not None:
            new.bias = nn.Parameter(
                insert_channels(module.bias.detach(), 0, out_inserts, 0.0))
        else:
            new.register_parameter('bias', None)
        return new


class ExpandableBatchNorm2d:
    """Widens batch norms (new channels: zero (or one) weight, zero bias,
    zero mean, unit variance)."""

    @staticmethod
    def expand_from(module: _BatchNorm, inserts: Inserts,
                    zero: bool) -> _BatchNorm:
        new = type(module).__new__(type(module))
        new.__dict__.update(module.__dict__)
        new._parameters = type(module._parameters)(module._parameters)
        new._buffers = type(module._buffers)(module._buffers)
        new._modules = type(module._modules)(module._modules)
        if module.affine:
            new.weight = nn.Parameter(
                insert_channels(module.weight.detach(), 0, inserts,
                                0.0 if zero else 1.0))
            new.bias = nn.Parameter(
                insert_channels(module.bias.detach(), 0, inserts, 0.0))
        if module.running_mean is not None:
            new.running_mean = insert_channels(module.running_mean, 0, inserts,
                                               0.0)
            new.running_var = insert_channels(module.running_var, 0, inserts,
                                              1.0)
        new.num_features = module.num_features + _total(inserts)
        return new
