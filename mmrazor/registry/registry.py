# Copyright (c) OpenMMLab. All rights reserved.
"""MMRazor provides 18 registry nodes to support using modules across
projects. Each node is a child of the root registry in MMEngine, in scope
``mmrazor``, and knows where its modules live (``locations``), so that
``type='mmrazor.X'`` builds without importing anything first.

More details can be found at
https://mmengine.readthedocs.io/en/latest/tutorials/registry.html.
"""
import copy
import functools
from typing import Any, Callable, Dict, Optional, Union

from mmengine.config import Config, ConfigDict
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry, build_from_cfg

from .build_errors import with_suggestions

_MODELS = ['mmrazor.models.all_modules', 'mmrazor.implementations']
_ENGINE = ['mmrazor.engine']
_DATASETS = ['mmrazor.datasets']


def with_type_scope(build_func: Callable) -> Callable:
    """Build ``type='scope.Name'`` entirely inside ``scope``.

    MMEngine looks ``scope.Name`` up in ``scope`` but then runs the
    constructor under the *current* default scope, so the sub-modules an
    upstream class builds itself (e.g. the data preprocessor of an
    ``mmcls.ImageClassifier`` built from an ``mmrazor`` scope) are searched in
    the wrong registry. A prefixed type without ``_scope_`` is therefore
    built with ``_scope_=scope``.
    """

    @functools.wraps(build_func)
    def build(cfg, *args, **kwargs):
        if isinstance(cfg, (dict, ConfigDict, Config)) and \
                '_scope_' not in cfg and isinstance(cfg.get('type'), str):
            scope, _, name = cfg['type'].rpartition('.')
            if scope and '.' not in scope and scope != 'mmrazor':
                cfg = copy.copy(cfg)
                cfg['_scope_'] = scope
        return build_func(cfg, *args, **kwargs)

    return build


def _child(name: str,
           parent: Registry,
           locations: list,
           build_func=None) -> Registry:
    return Registry(
        name,
        parent=parent,
        scope='mmrazor',
        locations=locations,
        build_func=with_suggestions(
            with_type_scope(build_func or parent.build_func)))


def build_razor_model_from_cfg(
        cfg: Union[dict, ConfigDict, Config],
        registry: Registry,
        default_args: Optional[Union[dict, ConfigDict, Config]] = None) -> Any:
    """Build a model, with two MMRazor extensions.

    1. ``dict(cfg_path='mmcls::resnet/resnet18_8xb32_in1k.py',
       pretrained=False)`` (a ``cfg_path`` and no ``type``) builds the model
       of an upstream config, like :func:`mmengine.hub.get_model`; the
       ``mmcls::`` prefix works on mmpretrain when mmcls is not installed.
    2. ``_return_architecture_=True`` returns ``built.architecture``.

    Args:
        cfg (dict): The config.
        registry (Registry): The registry to build from.
        default_args (dict, optional): Default arguments. Defaults to None.

    Returns:
        Any: The built model.
    """
    if isinstance(cfg, (dict, ConfigDict, Config)) and 'cfg_path' in cfg \
            and 'type' not in cfg:
        from mmrazor.utils.mmcls_compat import get_model
        kwargs = dict(copy.deepcopy(cfg))
        if default_args:
            for key, value in default_args.items():
                kwargs.setdefault(key, value)
        return get_model(**kwargs)
    return_architecture = False
    if isinstance(cfg, (dict, ConfigDict, Config)) and \
            '_return_architecture_' in cfg:
        cfg = copy.deepcopy(cfg)
        return_architecture = cfg.pop('_return_architecture_')
    built = build_from_cfg(cfg, registry, default_args)
    if return_architecture:
        return built.architecture
    return built


# Registries For Runner and the related
RUNNERS = _child('runner', MMENGINE_RUNNERS, _ENGINE)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             MMENGINE_RUNNER_CONSTRUCTORS, _ENGINE)
LOOPS = _child('loop', MMENGINE_LOOPS, _ENGINE)
HOOKS = _child('hook', MMENGINE_HOOKS, _ENGINE + ['mmrazor.implementations'])

# Registries For Data and the related
DATASETS = _child('dataset', MMENGINE_DATASETS, _DATASETS)
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, _DATASETS)
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, _DATASETS)

# Registries For Model and the related
MODELS = _child(
    'model', MMENGINE_MODELS, _MODELS, build_func=build_razor_model_from_cfg)
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, _MODELS)
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMENGINE_WEIGHT_INITIALIZERS, _MODELS)

# Registries For Optimizer and the related
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, _ENGINE)
OPTIM_WRAPPERS = _child('optimizer_wrapper', MMENGINE_OPTIM_WRAPPERS, _ENGINE)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    _ENGINE)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          _ENGINE)

# Registries For Metric and the related
METRICS = _child('metric', MMENGINE_METRICS, _ENGINE)

# Registry For Task Modules
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, _MODELS)

# Registries For Visualizer and the related
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, _ENGINE)
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, _ENGINE)


@MODELS.register_module()
def sub_model(cfg: Union[dict, ConfigDict],
              fix_subnet: Union[str, Dict[str, Any]],
              mode: str = 'mutable',
              prefix: str = '',
              extra_prefix: str = '',
              init_weight_from_supernet: bool = False,
              init_cfg: Optional[Dict] = None,
              **kwargs) -> Any:
    """Build a model and fix it to a subnet.

    Args:
        cfg (dict): Config of the (super)net, e.g. a searchable classifier.
        fix_subnet (str | dict): The subnet: a YAML/JSON path or a dict
            (see :func:`mmrazor.structures.subnet.load_fix_subnet`).
        mode (str): ``'mutable'`` (NAS subnet YAML) or ``'mutator'``
            (pruning channel-unit JSON). Defaults to ``'mutable'``.
        prefix (str): Prefix stripped from the subnet's keys.
        extra_prefix (str): Prefix added to the subnet's keys.
        init_weight_from_supernet (bool): Initialise the supernet (e.g. from
            a supernet checkpoint) before slicing it to the subnet; otherwise
            the weights are initialised after the subnet is fixed.
        init_cfg (dict, optional): Overrides the model's ``init_cfg``.

    Returns:
        nn.Module: The model fixed to the subnet.
    """
    from mmrazor.structures.subnet import load_fix_subnet

    model = MODELS.build(cfg)
    if init_cfg:
        model.init_cfg = init_cfg
    if init_weight_from_supernet:
        model.init_weights()
        load_fix_subnet(
            model,
            fix_subnet,
            load_subnet_mode=mode,
            prefix=prefix,
            extra_prefix=extra_prefix)
    else:
        load_fix_subnet(
            model,
            fix_subnet,
            load_subnet_mode=mode,
            prefix=prefix,
            extra_prefix=extra_prefix)
        model.init_weights()
    return model
