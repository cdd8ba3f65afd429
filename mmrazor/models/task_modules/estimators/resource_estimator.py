# Copyright (c) OpenMMLab. All rights reserved.
import inspect
from typing import Any, Dict, List, Optional, Tuple, Union

import torch.nn

from mmrazor.registry import TASK_UTILS
from .base_estimator import BaseEstimator
from .counters import get_model_flops_params, get_model_latency


def _check_cfg_keys(cfg: Dict, func: Any, cfg_name: str) -> None:
    allowed = list(inspect.signature(func).parameters)[1:]
    unknown = [key for key in cfg if key not in allowed]
    if unknown:
        raise KeyError(f'Unknown keys {unknown} in {cfg_name}; the keys '
                       f'of {func.__name__} are {allowed}')


@TASK_UTILS.register_module()
class ResourceEstimator(BaseEstimator):
    """Estimator for calculating the resources consume.

    Args:
        input_shape (tuple): Input data's default shape, for calculating
            resources consume. Defaults to (1, 3, 224, 224).
        units (dict): Units of ``flops``, ``params`` and ``latency``.
            Defaults to ``dict(flops='M', params='M', latency='ms')``.
        as_strings (bool): Output counts as strings. Defaults to False.
        flops_params_cfg (dict, optional): Default keyword arguments of
            :func:`get_model_flops_params`. Defaults to None.
        latency_cfg (dict, optional): Default keyword arguments of
            :func:`get_model_latency`; latency is only measured when a
            latency cfg is given (otherwise it is 0.0). Defaults to None.

    Examples:
        >>> import torch.nn as nn
        >>> from mmrazor.models.task_modules import ResourceEstimator
        >>> estimator = ResourceEstimator(input_shape=(1, 3, 8, 8))
        >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False))
        >>> result = estimator.estimate(model)
        >>> result['flops'], result['params'], result['latency']
        (0.004, 0.0, 0.0)
    """

    def __init__(self,
                 input_shape: Tuple = (1, 3, 224, 224),
                 units: Dict = dict(flops='M', params='M', latency='ms'),
                 as_strings: bool = False,
                 flops_params_cfg: Optional[Dict] = None,
                 latency_cfg: Optional[Dict] = None) -> None:
        super().__init__(input_shape, units, as_strings)
        self.units.setdefault('flops', 'M')
        self.units.setdefault('params', 'M')
        self.units.setdefault('latency', 'ms')
        self.flops_params_cfg = dict(flops_params_cfg or {})
        self.latency_cfg = dict(latency_cfg) \
            if latency_cfg is not None else None
        _check_cfg_keys(self.flops_params_cfg, get_model_flops_params,
                        'flops_params_cfg')
        if self.latency_cfg is not None:
            _check_cfg_keys(self.latency_cfg, get_model_latency, 'latency_cfg')

    def _flops_params_kwargs(self, cfg: Optional[Dict]) -> Dict:
        kwargs = dict(
            input_shape=self.input_shape,
            units=dict(flops=self.units['flops'], params=self.units['params']),
            as_strings=self.as_strings)
        kwargs.update(self.flops_params_cfg)
        if cfg:
            _check_cfg_keys(cfg, get_model_flops_params, 'flops_params_cfg')
            kwargs.update(cfg)
        return kwargs

    def estimate(
            self,
            model: torch.nn.Module,
            flops_params_cfg: Optional[Dict] = None,
            latency_cfg: Optional[Dict] = None
    ) -> Dict[str, Union[float, str]]:
        """Estimate the resources (FLOPs, params, latency) of ``model``.

        Args:
            model (nn.Module): The model.
            flops_params_cfg (dict, optional): Overrides of the FLOPs/params
                options.
            latency_cfg (dict, optional): Overrides of the latency options;
                measuring latency needs this or the constructor's cfg.

        Returns:
            dict: ``{'flops', 'params', 'latency'}``.
        """
        kwargs = self._flops_params_kwargs(flops_params_cfg)
        flops, params = get_model_flops_params(model, **kwargs)
        latency: Union[float, str] = 0.0
        if latency_cfg is not None or self.latency_cfg is not None:
            lat_kwargs = dict(
                input_shape=self.input_shape,
                unit=self.units['latency'],
                as_strings=self.as_strings)
            lat_kwargs.update(self.latency_cfg or {})
            if latency_cfg:
                _check_cfg_keys(latency_cfg, get_model_latency, 'latency_cfg')
                lat_kwargs.update(latency_cfg)
            latency = get_model_latency(model, **lat_kwargs)
        return dict(flops=flops, params=params, latency=latency)

    def estimate_separation_modules(
        self,
        model: torch.nn.Module,
        flops_params_cfg: Optional[Dict] = None
    ) -> Dict[str, Dict[str, Union[float, str]]]:
        """Estimate FLOPs and params of the ``spec_modules`` separately.

        Args:
            model (nn.Module): The model.
            flops_params_cfg (dict): Must hold a non-empty ``spec_modules``
                list of module names.

        Returns:
            dict: ``{module_name: {'flops': ..., 'params': ...}}``.
        """
        kwargs = self._flops_params_kwargs(flops_params_cfg)
        spec_modules: List[str] = kwargs.get('spec_modules') or []
        if not spec_modules:
            raise ValueError('estimate_separation_modules needs a non-empty '
                             '`spec_modules` in flops_params_cfg')
        kwargs['seperate_return'] = True
        return get_model_flops_params(model, **kwargs)
