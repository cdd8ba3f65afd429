# Copyright (c) OpenMMLab. All rights reserved.
"""The non-finite loss guard of :meth:`BaseAlgorithm.parse_losses`.

Every algorithm reduces its loss dict with ``self.parse_losses``; the guard
there looks at each summed loss term. A NaN or infinite term stops the run
with :class:`NonFiniteLossError`, naming the loss key (e.g.
``distill.loss_cwd``), the iteration and the last checkpoint, instead of
letting the optimizer train on NaN. With ``NonFiniteLossHook(action=
'skip')`` such a step is skipped instead: the parameters are not updated
and the skip is counted in the log.
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.logging import MessageHub

LOSS_GUARD_ACTIONS = ('raise', 'skip')


class NonFiniteLossError(FloatingPointError):
    """A loss term is NaN or infinite."""


def non_finite_terms(losses: Dict[str, Any],
                     total: Optional[torch.Tensor] = None) -> List[str]:
    """The loss terms of ``losses`` that hold a NaN or an infinity.

    Args:
        losses (dict): The raw losses (tensors or lists of tensors); only
            keys with ``'loss'`` in their name are summed into the total
            loss and checked.
        total (Tensor, optional): The summed loss.

    Returns:
        list[str]: ``'key=value'`` for every non-finite term; the total
        loss only when every term is finite but their sum is not. The
        terms are only inspected when ``total`` is not finite (a NaN or
        infinite term always makes the sum non-finite).
    """
    if isinstance(total, torch.Tensor) and bool(torch.isfinite(total).all()):
        # every term is finite when their sum is: one device sync per step
        return []
    bad = []
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, torch.Tensor) and \
                    not bool(torch.isfinite(item).all()):
                mean = item.detach().float().mean().item()
                bad.append(f'{key}={mean}')
                break
    if not bad and isinstance(total, torch.Tensor) and \
            not bool(torch.isfinite(total).all()):
        bad.append(f'loss (the sum)={total.detach().float().item()}')
    return bad


def training_context() -> Tuple[Optional[int], Optional[str]]:
    """The current iteration and the last saved checkpoint, if known.

    Both come from the runner's message hub: ``iter`` is set before every
    training iteration, ``last_ckpt`` by the checkpoint hook; the
    ``last_checkpoint`` file of the work dir is the fallback.

    Returns:
        tuple: ``(iteration or None, checkpoint path or None)``.
    """
    if not MessageHub._instance_dict:
        return None, None
    hub = MessageHub.get_current_instance()
    iteration = hub.get_info('iter')
    last_ckpt = hub.get_info('last_ckpt')
    work_dir = hub.get_info('work_dir')
    if last_ckpt is None and isinstance(work_dir, str):
        marker = osp.join(work_dir, 'last_checkpoint')
        if osp.isfile(marker):
            with open(marker) as f:
                last_ckpt = f.read().strip() or None
    return iteration, last_ckpt


def describe_non_finite(owner: str, bad: List[str]) -> str:
    """The message of a non-finite loss: keys, iteration, checkpoint.

    Args:
        owner (str): The algorithm class name.
        bad (list[str]): What :func:`non_finite_terms` returned.

    Returns:
        str: One line for the user.
    """
    iteration, last_ckpt = training_context()
    where = 'at an unknown iteration' if iteration is None else \
        f'at iteration {iteration + 1}'
    ckpt = last_ckpt or 'none saved yet'
    return (f'{owner}: non-finite loss {", ".join(bad)} {where}; last '
            f'checkpoint: {ckpt}')


def skipped_step_loss(parameters) -> torch.Tensor:
    """A zero loss that updates no parameter.

    Its gradient reaches no parameter, so after the optimizer wrapper's
    ``zero_grad`` every gradient stays ``None`` and ``optimizer.step``
    leaves the parameters (and their momentum) untouched.

    Args:
        parameters (Iterable[Tensor]): The model parameters, for the device.

    Returns:
        Tensor: A scalar leaf that requires grad.
    """
    device = next(iter(parameters), torch.zeros(())).device
    return torch.zeros((), device=device, requires_grad=True)
