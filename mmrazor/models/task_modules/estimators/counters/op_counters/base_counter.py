# Copyright (c) OpenMMLab. All rights reserved.
"""Base class of the op counters used by ``get_model_flops_params``.

Extending the counters (e.g. for dynamic ops): register a subclass of
:class:`BaseCounter` in ``mmrazor.registry.TASK_UTILS`` under the name
``f'{ModuleClass.__name__}Counter'`` and implement ``add_count_hook``.
``get_model_flops_params`` finds the counter of a module by that name,
falling back to the counter of the first supported base class in the
module's MRO (with a warning).
"""
from abc import ABCMeta, abstractmethod
from typing import Any

import torch.nn as nn


class BaseCounter(object, metaclass=ABCMeta):
    """Base class of the op counters.

    A counter's :meth:`add_count_hook` is registered as a forward hook of
    every module it counts. It must add the FLOPs of one forward to
    ``module.__flops__`` and set ``module.__params__``.
    """

    @staticmethod
    @abstractmethod
    def add_count_hook(module: nn.Module, input: Any, output: Any) -> None:
        """The forward hook that counts FLOPs and params of ``module``.

        Args:
            module (nn.Module): The module.
            input (tuple): The inputs of its forward.
            output (Any): The output of its forward.
        """

    @staticmethod
    def count_params(module: nn.Module) -> int:
        """Number of trainable parameters owned directly by ``module``.

        Args:
            module (nn.Module): The module.

        Returns:
            int: The number of parameters.
        """
        return sum(p.numel() for p in module.parameters(recurse=False)
                   if p.requires_grad)
