# Copyright (c) OpenMMLab. All rights reserved.
import functools
from typing import Dict

import torch

from ..torch_ao import BackendConfig
from .academic import get_academic_backend_config
from .native import get_native_backend_config
from .openvino import get_openvino_backend_config
from .tensorrt import get_tensorrt_backend_config

_BUILDERS = {
    'academic': get_academic_backend_config,
    'native': get_native_backend_config,
    'tensorrt': get_tensorrt_backend_config,
    'openvino': get_openvino_backend_config,
}


class _LazyBackendConfigs(dict):
    """``BackendConfigs['native']`` builds the config on first access."""

    def __missing__(self, key: str) -> BackendConfig:
        if key not in _BUILDERS:
            raise KeyError(f'unknown quantization backend {key!r}; '
                           f'expected one of {sorted(_BUILDERS)}')
        value = _BUILDERS[key]()
        self[key] = value
        return value

    def __contains__(self, key) -> bool:
        return key in _BUILDERS

    def keys(self):
        return _BUILDERS.keys()


BackendConfigs: Dict[str, BackendConfig] = _LazyBackendConfigs()


@functools.lru_cache(maxsize=None)
def get_backend_config(backend: str, act_dtype: torch.dtype,
                       weight_dtype: torch.dtype) -> BackendConfig:
    """The backend config restricted to one activation/weight dtype pair.

    A quantizer only needs the dtype pair of its qconfig; the smaller
    config makes torch's pattern/dtype matching unambiguous. Cached.

    Args:
        backend (str): One of ``BackendConfigs``.
        act_dtype (torch.dtype): Activation dtype of the qconfig.
        weight_dtype (torch.dtype): Weight dtype of the qconfig.

    Returns:
        BackendConfig: The backend config.
    """
    if backend not in _BUILDERS:
        raise KeyError(f'unknown quantization backend {backend!r}; '
                       f'expected one of {sorted(_BUILDERS)}')
    return _BUILDERS[backend](
        act_dtypes=(act_dtype, ), weight_dtypes=(weight_dtype, ))
