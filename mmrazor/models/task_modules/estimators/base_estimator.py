# Copyright (c) OpenMMLab. All rights reserved.
from abc import ABCMeta, abstractmethod
from typing import Dict, Optional, Tuple, Union

import torch.nn

from mmrazor.utils.config_dict import as_config_dict


class BaseEstimator(metaclass=ABCMeta):
    """The base class of resource estimators.

    Args:
        input_shape (tuple): Input data's default shape, for calculating
            resources consume. Defaults to (1, 3, 224, 224).
        units (dict): Dict that contains converted FLOPs/params/latency
            units. Defaults to an empty dict (the subclass' defaults).
        as_strings (bool): Output FLOPs/params/latency counts in a string
            form. Defaults to False.
    """

    def __init__(self,
                 input_shape: Tuple = (1, 3, 224, 224),
                 units: Dict = dict(),
                 as_strings: bool = False) -> None:
        units = as_config_dict(units)
        if not isinstance(units, dict):
            raise TypeError(f'units must be a dict, got {units!r}')
        self.input_shape = tuple(input_shape)
        self.units = dict(units)
        self.as_strings = as_strings

    @abstractmethod
    def estimate(
            self,
            model: torch.nn.Module,
            flops_params_cfg: Optional[Dict] = None,
            latency_cfg: Optional[Dict] = None
    ) -> Dict[str, Union[float, str]]:
        """Estimate the resources of ``model``.

        Args:
            model (nn.Module): The model.
            flops_params_cfg (dict, optional): FLOPs/params options.
            latency_cfg (dict, optional): Latency options.

        Returns:
            dict: e.g. ``{'flops': ..., 'params': ..., 'latency': ...}``.
        """
