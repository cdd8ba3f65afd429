# Copyright (c) OpenMMLab. All rights reserved.
"""Pieces shared by the validation loops that validate a model in several
ways (subnets, student and teacher)."""
from typing import Sequence

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import autocast


def unwrap_runner_model(runner) -> torch.nn.Module:
    """Return ``runner.model`` without its model wrapper (DDP...).

    Args:
        runner (Runner): The runner.

    Returns:
        nn.Module: The algorithm.
    """
    model = runner.model
    if is_model_wrapper(model):
        model = model.module
    return model


@torch.no_grad()
def run_val_iter(loop, idx: int, data_batch: Sequence[dict]) -> None:
    """Validate ``loop.runner.model`` on one batch: ``before_val_iter``
    hook, ``val_step`` (under fp16 autocast when ``loop.fp16``), evaluator
    step, ``after_val_iter`` hook.

    Args:
        loop (ValLoop): The validation loop (``runner``, ``fp16`` and
            ``evaluator``).
        idx (int): Index of the batch.
        data_batch (Sequence[dict]): The batch.
    """
    loop.runner.call_hook(
        'before_val_iter', batch_idx=idx, data_batch=data_batch)
    with autocast(enabled=loop.fp16):
        outputs = loop.runner.model.val_step(data_batch)
    loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
    loop.runner.call_hook(
        'after_val_iter',
        batch_idx=idx,
        data_batch=data_batch,
        outputs=outputs)
