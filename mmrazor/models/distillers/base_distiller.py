# Copyright (c) OpenMMLab. All rights reserved.
from abc import ABCMeta, abstractmethod
from typing import Dict, Optional

from mmengine.model import BaseModule


class BaseDistiller(BaseModule, metaclass=ABCMeta):
    """Base class of distillers: they own the recorders, connectors and
    distillation losses of a KD algorithm and compute the losses.

    Args:
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)

    @abstractmethod
    def compute_distill_losses(self) -> Dict:
        """Compute the distillation losses from the recorded data."""
