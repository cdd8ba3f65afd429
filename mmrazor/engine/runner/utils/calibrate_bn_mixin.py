# Copyright (c) OpenMMLab. All rights reserved.
"""Recalibrate BN statistics of a sampled subnet before evaluating it."""
from typing import Any, List

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.logging import print_log
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader


class AverageMeter:
    """Computes and stores the average and current value.

    Args:
        name (str): Name of the meter. Defaults to ''.
    """

    def __init__(self, name: str = '') -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        """Reset the meter."""
        self.val = 0.
        self.avg = 0.
        self.sum = 0.
        self.count = 0

    def update(self, val: Any, n: int = 1) -> None:
        """Add ``val`` observed ``n`` times."""
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def _active_mask(module: _BatchNorm) -> torch.Tensor:
    """Bool mask of the active channels of a dynamic BN."""
    mask = module.get_dynamic_params()[-1] if hasattr(
        module, 'get_dynamic_params') else None
    if mask is None:
        raise RuntimeError(
            f'{type(module).__name__}: the recorded statistics do not match '
            f'its {module.running_mean.numel()} channels')
    return mask.to(module.running_mean.device)


class CalibrateBNMixin:
    """Resets the running statistics of every BN layer to the exact mean and
    variance over ``calibrate_sample_num`` training samples.

    The class using it needs ``self.runner`` (with ``model``).
    """

    runner: Any

    @torch.no_grad()
    def calibrate_bn_statistics(self,
                                dataloader: DataLoader,
                                calibrate_sample_num: int = 2000) -> None:
        """Recalibrate BN statistics of ``self.runner.model``.

        Args:
            dataloader (DataLoader): The data to calibrate on.
            calibrate_sample_num (int): Number of samples (the last batch may
                exceed it). Defaults to 2000.
        """
        if calibrate_sample_num <= 0:
            raise ValueError('calibrate_sample_num must be positive, got '
                             f'{calibrate_sample_num}')
        model = self.runner.model
        bn_modules: List[_BatchNorm] = []
        handles = []

        def record_input_statistics_hook(bn_module: _BatchNorm,
                                         inputs: Any) -> None:
            x = inputs[0]
            dims = [0] + list(range(2, x.dim()))
            bn_module.__batch_mean__.append(x.mean(dim=dims))
            bn_module.__batch_var__.append(x.var(dim=dims, unbiased=True))
            bn_module.__batch_size__.append(x.shape[0])

        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.track_running_stats:
                module.__batch_mean__ = []
                module.__batch_var__ = []
                module.__batch_size__ = []
                bn_modules.append(module)
                handles.append(
                    module.register_forward_pre_hook(
                        record_input_statistics_hook))

        training = model.training
        model.train()
        num_samples = 0
        try:
            for data_batch in dataloader:
                data = model.data_preprocessor(data_batch, False)
                if isinstance(data, dict):
                    model(**data, mode='tensor')
                else:
                    model(*data, mode='tensor')
                inputs = data['inputs'] if isinstance(data, dict) \
                    else data[0]
                num_samples += len(inputs)
                if num_samples >= calibrate_sample_num:
                    break
        finally:
            for handle in handles:
                handle.remove()
            model.train(training)

        world_size = get_world_size()
        for module in bn_modules:
            if len(module.__batch_mean__) > 0:
                sizes = torch.tensor(
                    module.__batch_size__,
                    dtype=torch.float32,
                    device=module.__batch_mean__[0].device)[:, None]
                means = torch.stack(module.__batch_mean__)
                variances = torch.stack(module.__batch_var__)
                mean = (means * sizes).sum(0) / sizes.sum()
                var = (variances * sizes).sum(0) / sizes.sum()
                if world_size > 1:
                    all_reduce(mean, op='mean')
                    all_reduce(var, op='mean')
                if mean.numel() == module.running_mean.numel():
                    module.running_mean.copy_(mean)
                    module.running_var.copy_(var)
                else:
                    # a dynamic BN of a subnet: its active channels
                    module.running_mean[_active_mask(module)] = mean
                    module.running_var[_active_mask(module)] = var
            del module.__batch_mean__
            del module.__batch_var__
            del module.__batch_size__
        print_log(
            f'Calibrated BN statistics of {len(bn_modules)} layers on '
            f'{num_samples} samples.',
            logger='current')
