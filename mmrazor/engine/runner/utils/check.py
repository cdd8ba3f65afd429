# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any, Dict, Optional, Tuple

import torch.nn as nn

from mmrazor.models.task_modules.estimators import BaseEstimator
from mmrazor.structures.subnet import export_fix_subnet
from mmrazor.utils.typing import SupportRandomSubnet


def _is_detector(model: nn.Module) -> bool:
    try:
        from mmdet.models.detectors import BaseDetector
    except ImportError:  # pragma: no cover - mmdet not installed
        return False
    return isinstance(model, BaseDetector)


def _architecture(model: nn.Module) -> nn.Module:
    return getattr(model, 'architecture', model)


def check_subnet_resources(model: nn.Module,
                           subnet: SupportRandomSubnet,
                           estimator: BaseEstimator,
                           constraints_range: Optional[Dict[str, Any]] = dict(
                               flops=(0, 330)),
                           slice_weight: bool = False) -> Tuple[bool, Dict]:
    """Check whether ``subnet`` satisfies the resource constraints.

    The subnet is activated with ``model.mutator.set_choices``. Only the
    modules on the sampled path run, so estimating the supernet directly
    gives the resources of the subnet; with ``slice_weight=True`` a static
    copy is exported and estimated instead (slower, same numbers). Only the
    backbone of a detector is estimated.

    Args:
        model (nn.Module): An algorithm with a ``mutator`` (and an
            ``architecture``).
        subnet (dict): The subnet (``{group_key: choice}``).
        estimator (BaseEstimator): The resource estimator.
        constraints_range (dict, optional): ``{resource: (min, max)}`` or
            ``{resource: max}``. None means no constraint.
        slice_weight (bool): Estimate an exported static copy.

    Returns:
        tuple[bool, dict]: Whether the constraints hold, and the estimated
        resources (empty when there is no constraint).
    """
    if not constraints_range:
        return True, dict()
    if not hasattr(model, 'mutator'):
        raise AttributeError(
            f'{type(model).__name__} has no `mutator`, can not set subnets')
    model.mutator.set_choices(subnet)
    architecture = _architecture(model)
    if slice_weight:
        _, architecture = export_fix_subnet(architecture, slice_weight=True)
    if _is_detector(architecture):
        architecture = architecture.backbone
    results = estimator.estimate(model=architecture)
    for key, value in constraints_range.items():
        if key not in results:
            raise KeyError(f'Unknown constraint {key!r}; the estimator '
                           f'reports {sorted(results)}')
        low, high = (0, value) if not isinstance(value,
                                                 (list, tuple)) else value
        if results[key] < low or results[key] > high:
            return False, results
    return True, results
