# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers shared by the pruning tools."""
import json
from typing import Any, Optional, Sequence

from mmengine.config import Config
from mmengine.registry import DefaultScope


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load ``path`` (a :class:`ToolError` names a missing or broken
    file)."""
    from mmrazor.utils import register_all_modules
    from mmrazor.utils.cli import load_config as load_tool_config
    register_all_modules(False)  # also serves mmcls:: on mmpretrain
    return load_tool_config(path, cfg_options)


def build_model(cfg: Config):
    """Build ``cfg.model`` in the config's default scope."""
    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    register_all_modules(False)
    scope = cfg.get('default_scope', 'mmrazor')
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(cfg.model)


def demo_input_cfg(cfg: Config,
                   input_shape: Optional[Sequence[int]] = None) -> dict:
    """A ``DefaultDemoInput`` config for the config's scope."""
    scope = cfg.get('default_scope', 'mmcls')
    if scope == 'mmpretrain':
        scope = 'mmcls'
    demo = dict(type='DefaultDemoInput', scope=scope)
    if input_shape:
        demo['input_shape'] = tuple(input_shape)
    return demo


def write_json(data: Any, path: str) -> None:
    """Write ``data`` as JSON atomically."""
    from mmrazor.utils import atomic_open
    with atomic_open(path, 'w') as f:
        json.dump(data, f, indent=4)
