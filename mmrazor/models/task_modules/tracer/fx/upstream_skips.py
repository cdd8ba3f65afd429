# Copyright (c) OpenMMLab. All rights reserved.
"""The methods of upstream models that FX cannot trace and that the
quantizer skips on the user's behalf.

MMRazor 1.x detection PTQ configs list only the post-processing methods
(``predict_by_feat`` / ``loss_by_feat``) in ``tracer.skipped_methods``. On
mmdet 3.x, the dense head's ``predict`` / ``loss`` (data-sample handling
around ``outs = self(x)``) and the detector's ``add_pred_to_datasample``
cannot be traced either; :func:`complete_skipped_methods` adds them when
the traced model is an mmdet detector, so the original configs prepare
unchanged. The forward the skipped head methods call stays traced and
quantized (see :class:`CustomTracer`).
"""
import logging
from typing import Dict, List

from torch import nn

#: ``{base class path: methods to skip}``; applied when the traced model is
#: an instance of the base class.
UPSTREAM_SKIPPED_METHODS: Dict[str, List[str]] = {
    'mmdet.models.detectors.base.BaseDetector': [
        'mmdet.models.dense_heads.base_dense_head.BaseDenseHead.predict',
        'mmdet.models.dense_heads.base_dense_head.BaseDenseHead.loss',
        'mmdet.models.detectors.base.BaseDetector.add_pred_to_datasample',
    ],
}


def _class_paths(model: nn.Module) -> set:
    return {f'{c.__module__}.{c.__name__}' for c in type(model).__mro__}


def complete_skipped_methods(tracer, model: nn.Module) -> List[str]:
    """Add the skips ``model``'s upstream family needs to ``tracer``.

    Args:
        tracer (CustomTracer): The tracer (``skipped_methods`` is extended).
        model (nn.Module): The model that will be traced.

    Returns:
        list[str]: The entries added (empty if none was missing).
    """
    if not hasattr(tracer, 'add_skipped_methods'):
        return []
    paths = _class_paths(model)
    needed = [
        method for base, methods in UPSTREAM_SKIPPED_METHODS.items()
        if base in paths for method in methods
    ]
    added = tracer.add_skipped_methods(needed)
    if added:
        from mmengine.logging import print_log
        print_log(
            f'quantizer tracer: skipping {added} as well (untraceable on '
            f'{type(model).__name__}; the forward they call stays traced)',
            logger='current',
            level=logging.INFO)
    return added


__all__ = ['UPSTREAM_SKIPPED_METHODS', 'complete_skipped_methods']
