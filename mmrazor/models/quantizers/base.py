# Copyright (c) OpenMMLab. All rights reserved.
from abc import abstractmethod
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmrazor.registry import TASK_UTILS
from mmrazor.structures.quantization.torch_ao import swap_ff_with_fxff
from mmrazor.utils.config_dict import as_config_dict


class BaseQuantizer(BaseModule):
    """Base class of the quantizers.

    Args:
        tracer (dict): Config of the tracer (TASK_UTILS), e.g.
            ``dict(type='mmrazor.CustomTracer', skipped_methods=[...])``.
    """

    def __init__(self, tracer: Dict, init_cfg: Optional[Dict] = None):
        super().__init__(init_cfg)
        tracer = as_config_dict(tracer)
        if isinstance(tracer, dict):
            tracer = TASK_UTILS.build(tracer)
        self.tracer = tracer

    @abstractmethod
    def prepare(self, model: nn.Module, concrete_args: Optional[Dict] = None):
        """Trace ``model`` and insert observers / fake-quants."""

    def swap_ff_with_fxff(self, model: nn.Module) -> None:
        """Replace ``FloatFunctional`` with traceable ``FXFloatFunctional``.
        """
        swap_ff_with_fxff(model)

    @staticmethod
    def convert_batchnorm2d(model: nn.Module) -> nn.Module:
        """Replace SyncBN / ``_BatchNormXd`` with ``nn.BatchNorm2d`` (FX
        fusion only knows the plain BN classes), in place.

        Args:
            model (nn.Module): The model.

        Returns:
            nn.Module: ``model``.
        """

        def convert(module: nn.Module) -> nn.Module:
            new = module
            is_bnxd = type(module).__name__ == '_BatchNormXd'
            if isinstance(module, nn.SyncBatchNorm) or is_bnxd:
                new = nn.BatchNorm2d(module.num_features, module.eps,
                                     module.momentum, module.affine,
                                     module.track_running_stats)
                if module.affine:
                    with torch.no_grad():
                        new.weight = module.weight
                        new.bias = module.bias
                new.running_mean = module.running_mean
                new.running_var = module.running_var
                new.num_batches_tracked = module.num_batches_tracked
                new.training = module.training
            for name, child in module.named_children():
                new.add_module(name, convert(child))
            return new

        for name, child in model.named_children():
            setattr(model, name, convert(child))
        return model

    @staticmethod
    def sync_module_training_mode(model: nn.Module, mode: bool = True):
        """Set every sub-module's ``training`` flag to ``mode``."""
        for module in model.modules():
            module.training = mode
        return model
