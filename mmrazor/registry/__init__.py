# Copyright (c) OpenMMLab. All rights reserved.
from .build_errors import UnknownTypeError, explain_unknown_type
from .registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOOPS, METRICS,
                       MODEL_WRAPPERS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS,
                       OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS,
                       RUNNER_CONSTRUCTORS, RUNNERS, TASK_UTILS, TRANSFORMS,
                       VISBACKENDS, VISUALIZERS, WEIGHT_INITIALIZERS,
                       build_razor_model_from_cfg, sub_model)

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'TASK_UTILS',
    'PARAM_SCHEDULERS', 'METRICS', 'MODEL_WRAPPERS', 'LOOPS', 'VISBACKENDS',
    'VISUALIZERS', 'sub_model', 'build_razor_model_from_cfg',
    'UnknownTypeError', 'explain_unknown_type'
]
