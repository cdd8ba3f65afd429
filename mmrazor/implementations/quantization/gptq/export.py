# Copyright (c) OpenMMLab. All rights reserved.
"""Save and reload packed GPTQ models as ``weights_only`` checkpoints."""
import os
from typing import Dict, Union

import torch
import torch.nn as nn

from mmrazor.utils import atomic_write
from .packed import PackedGPTQConv2d, PackedGPTQLinear


def packed_layout(model: nn.Module) -> Dict[str, dict]:
    """``{path: dict(bits=, groups=)}`` of the packed layers of
    ``model``."""
    return {
        name: dict(bits=int(m.bits), groups=int(m.scales.shape[1]))
        for name, m in model.named_modules()
        if isinstance(m, (PackedGPTQLinear, PackedGPTQConv2d))
    }


def packed_state(model: nn.Module) -> dict:
    """A ``weights_only``-loadable dict: the state dict (packed codes,
    scales, zero points, group indices, other weights) and the layout."""
    return dict(
        state_dict={
            k: v.detach().cpu()
            for k, v in model.state_dict().items()
        },
        gptq_layers=packed_layout(model))


def save_packed_checkpoint(model: nn.Module, path: Union[str,
                                                         os.PathLike]) -> None:
    """Save :func:`packed_state` to ``path`` (atomically)."""
    state = packed_state(model)
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_packed_checkpoint(model: nn.Module,
                           checkpoint: Union[str, os.PathLike, dict],
                           map_location: str = 'cpu') -> nn.Module:
    """Load a packed checkpoint into the float model it was made from.

    The float layers named in the checkpoint's ``gptq_layers`` are replaced
    by empty packed layers, then the state dict is loaded (strictly).

    Args:
        model (nn.Module): The float model (same architecture), modified in
            place.
        checkpoint (str | PathLike | dict): A file from
            :func:`save_packed_checkpoint` (loaded with
            ``weights_only=True``) or the dict itself.
        map_location (str): Where tensors are loaded.

    Returns:
        nn.Module: The packed model.
    """
    if not isinstance(checkpoint, dict):
        checkpoint = torch.load(
            checkpoint, map_location=map_location, weights_only=True)
    for key in ('state_dict', 'gptq_layers'):
        if key not in checkpoint:
            raise KeyError(f'load_packed_checkpoint: the checkpoint has no '
                           f'{key!r} (not made by save_packed_checkpoint).')
    for name, spec in checkpoint['gptq_layers'].items():
        try:
            layer = model.get_submodule(name)
        except AttributeError as e:
            raise KeyError(f'load_packed_checkpoint: layer {name!r} of the '
                           'checkpoint is not in the model.') from e
        if isinstance(layer, nn.Linear):
            new = PackedGPTQLinear(
                layer.in_features,
                layer.out_features,
                bits=spec['bits'],
                groups=spec['groups'],
                bias=layer.bias is not None)
        elif isinstance(layer, nn.Conv2d):
            new = PackedGPTQConv2d(
                layer.in_channels,
                layer.out_channels,
                layer.kernel_size,
                stride=layer.stride,
                padding=layer.padding,
                dilation=layer.dilation,
                groups=layer.groups,
                bias=layer.bias is not None,
                padding_mode=layer.padding_mode,
                bits=spec['bits'],
                groups_q=spec['groups'])
        else:
            raise TypeError(f'load_packed_checkpoint: layer {name!r} is a '
                            f'{type(layer).__name__}, expected nn.Linear or '
                            'nn.Conv2d.')
        new.train(layer.training)
        parent, _, attr = name.rpartition('.')
        setattr(model.get_submodule(parent), attr, new)
    model.load_state_dict(checkpoint['state_dict'])
    return model
