# Copyright (c) OpenMMLab. All rights reserved.
from ..torch_ao import BackendConfig
from .common_operator_config_utils import build_backend_config


def get_academic_backend_config(**dtypes) -> BackendConfig:
    """The ``academic`` backend config (every static pattern)."""
    return build_backend_config('academic', **dtypes)


def get_academic_backend_config_dict() -> dict:
    """The academic backend config as a dict."""
    return get_academic_backend_config().to_dict()
