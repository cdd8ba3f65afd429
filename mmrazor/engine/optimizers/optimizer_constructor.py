# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from mmrazor.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmrazor.utils.config_dict import as_config_dict


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SeparateOptimWrapperConstructor:
    """One optimizer wrapper per child module, as an ``OptimWrapperDict``.

    Each key of the config names a child of the model (e.g.
    ``architecture`` and ``mutator`` for DARTS, ``architecture`` and
    ``generator`` for data-free KD); its value is an ordinary
    ``optim_wrapper`` config, optionally with ``paramwise_cfg`` and its
    own ``constructor``::

        optim_wrapper = dict(
            constructor='mmrazor.SeparateOptimWrapperConstructor',
            architecture=dict(optimizer=dict(type='SGD', lr=0.1)),
            generator=dict(optimizer=dict(type='Adam', lr=1e-3)))

    Args:
        optim_wrapper_cfg (dict): ``{child_name: optim_wrapper cfg}``.
        paramwise_cfg (dict, optional): Not supported at this level (give
            it per child).
    """

    def __init__(self,
                 optim_wrapper_cfg: Dict,
                 paramwise_cfg: Optional[Dict] = None) -> None:
        optim_wrapper_cfg = as_config_dict(optim_wrapper_cfg)
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise TypeError('SeparateOptimWrapperConstructor needs a dict '
                            '{child_name: optim_wrapper cfg}, but got '
                            f'{optim_wrapper_cfg!r}')
        if paramwise_cfg:
            raise ValueError('SeparateOptimWrapperConstructor: give '
                             '`paramwise_cfg` inside each child config')
        for key, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict):
                raise TypeError(f'optim_wrapper.{key} should be an '
                                f'optim_wrapper config dict, got {cfg!r}')
        self.optim_wrapper_cfg = optim_wrapper_cfg

    def __call__(self, module: nn.Module) -> OptimWrapperDict:
        """Build the optimizer wrappers of ``module``'s children."""
        if is_model_wrapper(module):
            module = module.module
        wrappers = dict()
        for key, cfg in self.optim_wrapper_cfg.items():
            if key not in module._modules:
                raise KeyError(
                    f'SeparateOptimWrapperConstructor: optim_wrapper.{key} '
                    f'names no child of {type(module).__name__}; children: '
                    f'{list(module._modules)}')
            cfg = copy.deepcopy(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            constructor_type = cfg.pop('constructor',
                                       'DefaultOptimWrapperConstructor')
            constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(
                    type=constructor_type,
                    optim_wrapper_cfg=cfg,
                    paramwise_cfg=paramwise))
            wrappers[key] = constructor(module._modules[key])
        return OptimWrapperDict(**wrappers)
