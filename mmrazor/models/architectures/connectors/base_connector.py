# Copyright (c) OpenMMLab. All rights reserved.
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, Optional

from mmengine.model import BaseModule


class BaseConnector(BaseModule, metaclass=ABCMeta):
    """Base class of connectors: modules that transform a recorded feature
    before it goes into a distillation loss (e.g. to align channels).

    Args:
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)

    def forward(self, feature: Any) -> Any:
        """Call :meth:`forward_train`."""
        return self.forward_train(feature)

    @abstractmethod
    def forward_train(self, feature: Any) -> Any:
        """Transform the feature."""
