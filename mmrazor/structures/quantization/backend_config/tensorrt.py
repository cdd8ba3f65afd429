# Copyright (c) OpenMMLab. All rights reserved.
from ..torch_ao import BackendConfig
from .common_operator_config_utils import build_backend_config


def get_tensorrt_backend_config(**dtypes) -> BackendConfig:
    """The ``tensorrt`` backend config (explicit QDQ, qint8 everywhere)."""
    return build_backend_config('tensorrt', **dtypes)


def get_tensorrt_backend_config_dict() -> dict:
    """The TensorRT backend config as a dict."""
    return get_tensorrt_backend_config().to_dict()
