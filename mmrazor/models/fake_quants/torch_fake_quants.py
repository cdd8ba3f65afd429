# Copyright (c) OpenMMLab. All rights reserved.
from typing import List

from mmrazor.registry import MODELS
from mmrazor.structures.quantization.torch_ao import torch_fake_quant_classes


def register_torch_fake_quants() -> List[str]:
    """Register every public fake-quant of
    ``torch.ao.quantization.fake_quantize`` in MMRazor's MODELS under its own
    name (``mmrazor.FakeQuantize``, ...).

    Returns:
        list[str]: The names registered (or already present).
    """
    names = []
    for name, cls in sorted(torch_fake_quant_classes().items()):
        if name not in MODELS.module_dict:
            MODELS.register_module(name=name, module=cls)
        names.append(name)
    return names


TORCH_fake_quants = register_torch_fake_quants()
