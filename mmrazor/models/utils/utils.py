# Copyright (c) OpenMMLab. All rights reserved.
from typing import List, Optional, Union

import torch
import torch.nn as nn


def get_module_device(module: nn.Module) -> torch.device:
    """Get the device of a module.

    Args:
        module (nn.Module): A module whose parameters (or buffers) are on
            one device.

    Returns:
        torch.device: The device of the module; CPU for a module without
        parameters and buffers.
    """
    for tensor in list(module.parameters()) + list(module.buffers()):
        return tensor.device
    return torch.device('cpu')


def set_requires_grad(nets: Union[nn.Module, List[nn.Module]],
                      requires_grad: bool = False) -> None:
    """Set requires_grad for all the networks.

    Args:
        nets (nn.Module | list[nn.Module]): A list of networks or a single
            network.
        requires_grad (bool): Whether the networks require gradients or not.
    """
    if not isinstance(nets, list):
        nets = [nets]
    for net in nets:
        if net is not None:
            for param in net.parameters():
                param.requires_grad = requires_grad


def str2class(str_inputs: Union[str, type]) -> Optional[type]:
    """Turn ``"<class 'torch.nn.modules.conv.Conv2d'>"`` or
    ``'torch.nn.Conv2d'`` into the class.

    Args:
        str_inputs (str | type): The class path, or the class itself.

    Returns:
        type: The class.
    """
    if isinstance(str_inputs, type):
        return str_inputs
    text = str(str_inputs).strip()
    if text.startswith("<class '") and text.endswith("'>"):
        text = text[len("<class '"):-2]
    module_path, _, name = text.rpartition('.')
    if not module_path:
        raise ValueError(f'{str_inputs!r} is not a dotted class path')
    import importlib
    try:
        module = importlib.import_module(module_path)
    except ImportError as e:
        raise ImportError(f'cannot import {module_path!r} for class '
                          f'{str_inputs!r}: {e}') from e
    if not hasattr(module, name):
        raise AttributeError(f'module {module_path!r} has no class {name!r}')
    return getattr(module, name)
