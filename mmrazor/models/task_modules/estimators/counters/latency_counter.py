# Copyright (c) OpenMMLab. All rights reserved.
import time
from typing import Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log

_SCALE = {'ms': 1000.0, 's': 1.0}


def get_model_latency(model: nn.Module,
                      input_shape: Tuple = (1, 3, 224, 224),
                      unit: str = 'ms',
                      as_strings: bool = False,
                      max_iter: int = 100,
                      num_warmup: int = 5,
                      log_interval: int = 100,
                      repeat_num: int = 1) -> Union[float, str]:
    """Measure the inference latency of a model (eval mode, no grad).

    Args:
        model (nn.Module): The model.
        input_shape (tuple): Input shape including the batch dim.
        unit (str): ``'ms'`` or ``'s'``. Defaults to ``'ms'``.
        as_strings (bool): Return a formatted string. Defaults to False.
        max_iter (int): Timed iterations per repeat. Defaults to 100.
        num_warmup (int): Untimed warm-up iterations. Defaults to 5.
        log_interval (int): Log every ``log_interval`` iterations.
        repeat_num (int): Repeats; the mean of the repeats is returned.

    Returns:
        float | str: The mean latency of one forward.
    """
    if unit not in _SCALE:
        raise ValueError(f'unit must be one of {list(_SCALE)}, got {unit!r}')
    if max_iter <= num_warmup:
        raise ValueError(f'max_iter ({max_iter}) must be larger than '
                         f'num_warmup ({num_warmup})')
    if repeat_num < 1:
        raise ValueError(f'repeat_num must be >= 1, got {repeat_num}')
    try:
        param = next(model.parameters())
        device = param.device
    except StopIteration:
        device = torch.device('cpu')
    training = model.training
    model.eval()
    results = []
    try:
        inputs = torch.rand(input_shape, device=device)
        with torch.no_grad():
            for _ in range(repeat_num):
                elapsed = 0.0
                for i in range(max_iter):
                    if device.type == 'cuda':
                        torch.cuda.synchronize()
                    start = time.perf_counter()
                    model(inputs)
                    if device.type == 'cuda':
                        torch.cuda.synchronize()
                    if i >= num_warmup:
                        elapsed += time.perf_counter() - start
                    if (i + 1) % log_interval == 0 and i >= num_warmup:
                        print_log(
                            f'Done image [{i + 1:<3}/{max_iter}], '
                            f'latency: {elapsed / (i + 1 - num_warmup):.4f} '
                            's / img', 'current')
                results.append(elapsed / (max_iter - num_warmup))
    finally:
        model.train(training)
    latency = round(sum(results) / len(results) * _SCALE[unit], 3)
    if as_strings:
        return f'{latency} {unit}'
    return latency
