# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrazor.registry import MODELS
from .base_connector import BaseConnector


@MODELS.register_module()
class TorchFunctionalConnector(BaseConnector):
    """Apply ``torch.nn.functional.<function_name>(x, **func_args)``.

    Args:
        function_name (str): e.g. ``'avg_pool2d'`` or ``'interpolate'``.
        func_args (dict): Keyword arguments of the function.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 function_name: str,
                 func_args: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if not isinstance(function_name, str) or \
                not callable(getattr(F, function_name, None)):
            raise ValueError(f'TorchFunctionalConnector: {function_name!r} '
                             'is not a function of torch.nn.functional')
        self.func = getattr(F, function_name)
        self.func_args = dict(func_args or {})

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Apply the function."""
        return self.func(feature, **self.func_args)


@MODELS.register_module()
class TorchNNConnector(BaseConnector):
    """Apply the module ``torch.nn.<module_name>(**module_args)``.

    Args:
        module_name (str): e.g. ``'AvgPool2d'``.
        module_args (dict): Constructor arguments.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 module_name: str,
                 module_args: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        cls = getattr(nn, module_name, None) \
            if isinstance(module_name, str) else None
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise ValueError(f'TorchNNConnector: {module_name!r} is not a '
                             'module class of torch.nn')
        self.torch_module = cls(**dict(module_args or {}))

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Apply the module."""
        return self.torch_module(feature)
