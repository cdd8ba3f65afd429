# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict

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
