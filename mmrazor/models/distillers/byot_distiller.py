# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

import torch

from mmrazor.registry import MODELS
from .configurable_distiller import ConfigurableDistiller


def _detach(data: Any) -> Any:
    if isinstance(data, torch.Tensor):
        return data.detach()
    if isinstance(data, (list, tuple)):
        return type(data)(_detach(d) for d in data)
    return data


@MODELS.register_module()
class BYOTDistiller(ConfigurableDistiller):
    """Distiller for BYOT self-distillation: the "teacher" records come from
    the same forward as the student ones (the deepest classifier), so they
    are detached before use.

    Args: see :class:`ConfigurableDistiller`.
    """

    def post_process_record(self, data: Any, from_student: bool) -> Any:
        """Detach teacher records."""
        return data if from_student else _detach(data)
