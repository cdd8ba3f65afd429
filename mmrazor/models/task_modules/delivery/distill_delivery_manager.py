# Copyright (c) OpenMMLab. All rights reserved.
import copy
import warnings
from typing import Dict, List, Optional, Union

from mmengine.config import ConfigDict

from mmrazor.registry import TASK_UTILS
from mmrazor.utils.config_dict import as_config_dict
from .distill_delivery import DistillDelivery

SUPPORT_DELIVERIES = ['FunctionOutputs', 'MethodOutputs']


class DistillDeliveryManager:
    """Build and enter several deliveries together.

    ``type`` may omit the ``Delivery`` suffix; only
    ``FunctionOutputs`` and ``MethodOutputs`` deliveries exist.

    Args:
        deliveries (dict | list, optional): ``{name: delivery cfg}`` or a
            list of cfgs (named ``'0'``, ``'1'``, ...).
    """

    def __init__(self, deliveries: Optional[Union[Dict, List]] = None) -> None:
        self._deliveries: Dict[str, DistillDelivery] = dict()
        self._override_data = False
        if deliveries:
            if isinstance(deliveries, (list, tuple)):
                deliveries = {str(i): d for i, d in enumerate(deliveries)}
            deliveries = as_config_dict(deliveries)
            if not isinstance(deliveries, dict):
                raise TypeError('deliveries should be a dict or a list of '
                                'delivery cfgs, but got '
                                f'{type(deliveries).__name__}')
            for name, cfg in deliveries.items():
                self._deliveries[name] = self.build_delivery(name, cfg)

    @staticmethod
    def build_delivery(name: str,
                       cfg: Union[Dict, DistillDelivery]) -> DistillDelivery:
        """Build one delivery, appending the ``Delivery`` suffix."""
        if isinstance(cfg, DistillDelivery):
            return cfg
        if not isinstance(cfg, (dict, ConfigDict)) or 'type' not in cfg:
            raise TypeError(f'delivery {name!r}: expected a dict with a '
                            f'`type`, but got {cfg!r}')
        cfg = copy.deepcopy(cfg)
        short = cfg['type']
        if isinstance(short, str) and short.endswith('Delivery'):
            short = short[:-len('Delivery')]
        if short not in SUPPORT_DELIVERIES:
            raise ValueError(
                f'delivery {name!r}: type {cfg["type"]!r} is not '
                f'supported; supported types: {SUPPORT_DELIVERIES}')
        cfg['type'] = short + 'Delivery'
        return TASK_UTILS.build(cfg)

    @property
    def deliveries(self) -> Dict[str, DistillDelivery]:
        """dict: The deliveries by name."""
        return self._deliveries

    @property
    def override_data(self) -> bool:
        """bool: The mode of every delivery."""
        return self._override_data

    @override_data.setter
    def override_data(self, override: bool) -> None:
        self._override_data = bool(override)
        for delivery in self._deliveries.values():
            delivery.override_data = override

    def __enter__(self) -> 'DistillDeliveryManager':
        entered = []
        try:
            for delivery in self._deliveries.values():
                delivery.__enter__()
                entered.append(delivery)
        except BaseException:  # undo the entered ones, then re-raise
            for delivery in reversed(entered):
                delivery.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        error = None
        for delivery in reversed(list(self._deliveries.values())):
            try:
                delivery.__exit__(exc_type, exc_value, traceback)
            except Exception as e:  # noqa: BLE001  keep restoring the others
                error = error or e
        if error is not None and exc_type is None:
            raise error
        if error is not None:
            # an error is already propagating: report this one, not lose it
            warnings.warn(
                f'{__name__}: restoring a delivery failed while handling '
                f'{exc_type.__name__}: {type(error).__name__}: {error}')

    def __len__(self) -> int:
        return len(self._deliveries)
