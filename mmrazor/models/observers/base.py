# Copyright (c) OpenMMLab. All rights reserved.
import torch

from mmrazor.structures.quantization.torch_ao import (
    ObserverBase, is_activation_post_process)

BaseObserver = ObserverBase


def reset_min_max_vals(observer: ObserverBase) -> None:
    """Reset the running statistics of a min-max style observer while
    keeping the buffers' shapes (torch's per-channel reset empties them,
    which breaks copying qparams between graphs and loading state dicts).

    Args:
        observer (ObserverBase): The observer (others are ignored).
    """
    if not (hasattr(observer, 'min_val') and hasattr(observer, 'max_val')):
        return
    with torch.no_grad():
        if observer.min_val.numel() == 0:
            observer.reset_min_max_vals()
            return
        observer.min_val.fill_(float('inf'))
        observer.max_val.fill_(float('-inf'))


def reset_observer_stats(module: torch.nn.Module) -> None:
    """Reset every observer's statistics in ``module`` (shapes kept)."""
    for child in module.modules():
        if isinstance(child, ObserverBase):
            reset_min_max_vals(child)
        elif is_activation_post_process(child):
            inner = getattr(child, 'activation_post_process', None)
            if isinstance(inner, ObserverBase):
                reset_min_max_vals(inner)
