# Copyright (c) OpenMMLab. All rights reserved.
from typing import List

from mmrazor.registry import MODELS
from mmrazor.structures.quantization.torch_ao import torch_observer_classes


def register_torch_observers() -> List[str]:
    """Register every public observer of ``torch.ao.quantization.observer``
    in MMRazor's MODELS under its own name (``mmrazor.MinMaxObserver``...).

    Returns:
        list[str]: The names registered (or already present).
    """
    names = []
    for name, cls in sorted(torch_observer_classes().items()):
        # ``module_dict``, not ``MODELS.get``: a lookup would import every
        # registry location while this module is being imported
        if name not in MODELS.module_dict:
            MODELS.register_module(name=name, module=cls)
        names.append(name)
    return names


TORCH_observers = register_torch_observers()
