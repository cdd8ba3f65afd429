# Copyright (c) OpenMMLab. All rights reserved.
from ..torch_ao import BackendConfig
from .common_operator_config_utils import build_backend_config


def get_native_backend_config(**dtypes) -> BackendConfig:
    """The ``native`` (fbgemm/qnnpack-like) backend config."""
    return build_backend_config('native', **dtypes)


def get_native_backend_config_dict() -> dict:
    """The native backend config as a dict."""
    return get_native_backend_config().to_dict()
