# Copyright (c) OpenMMLab. All rights reserved.
from ..torch_ao import BackendConfig
from .common_operator_config_utils import build_backend_config


def get_openvino_backend_config(**dtypes) -> BackendConfig:
    """The ``openvino`` backend config.

    OpenVINO quantizes conv/linear (with fused bn/relu), element-wise ops,
    pooling and concatenation; which fake-quants are redundant for it is
    decided by :class:`~mmrazor.models.OpenVINOQuantizer`.
    """
    return build_backend_config('openvino', **dtypes)


def get_openvino_backend_config_dict() -> dict:
    """The OpenVINO backend config as a dict."""
    return get_openvino_backend_config().to_dict()
