# Copyright (c) OpenMMLab. All rights reserved.
"""Accept an MMEngine ``Config`` wherever a config dict is accepted.

``ConfigDict`` is a ``dict``; a whole ``Config`` (e.g. from
``Config(dict(...))`` or ``Config.fromfile``) is not, so ``isinstance(cfg,
dict)`` checks rejected it. Components call :func:`as_config_dict` on the
config arguments they take.
"""
from typing import Any

from mmengine.config import Config, ConfigDict


def as_config_dict(value: Any) -> Any:
    """A ``Config`` as a ``ConfigDict``; any other value unchanged.

    Args:
        value (Any): A config argument.

    Returns:
        Any: ``ConfigDict(value.to_dict())`` for a ``Config``, else ``value``.
    """
    if isinstance(value, Config):
        return ConfigDict(value.to_dict())
    return value


__all__ = ['as_config_dict']
