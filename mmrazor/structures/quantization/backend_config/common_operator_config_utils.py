# Copyright (c) OpenMMLab. All rights reserved.
"""Build MMRazor backend configs for torch 2.x from torch's native one.

torch's native ``BackendConfig`` already describes every pattern we need
(conv/linear + bn + relu fusions with their QAT modules, binary ops,
pooling and other ops that share their input's observer, ...). Its dtype
configs are quint8-activation only, while MMRazor lets the user pick
``quint8`` or ``qint8`` for activations and weights (TensorRT uses qint8
everywhere). :func:`build_backend_config` copies each pattern (public
``to_dict``/``from_dict`` API) and gives it unconstrained static dtype
configs for every activation/weight dtype pair; dynamic and weight-only
entries (RNNs, embeddings) are dropped: MMRazor does static quantization.
"""
from typing import Callable, Iterable, List, Optional, Sequence

import torch

from ..torch_ao import (BackendConfig, BackendPatternConfig, DTypeConfig,
                        get_native_backend_config, quiet_ao)

ACT_DTYPES = (torch.quint8, torch.qint8, torch.qint32)
WEIGHT_DTYPES = (torch.qint8, torch.quint8, torch.qint32)


def _static_dtype_configs(
        dtype_configs: Iterable[DTypeConfig],
        act_dtypes: Sequence[torch.dtype] = ACT_DTYPES,
        weight_dtypes: Sequence[torch.dtype] = WEIGHT_DTYPES
) -> List[DTypeConfig]:
    out: List[DTypeConfig] = []
    seen = set()
    for dc in dtype_configs:
        if dc.is_dynamic or dc.input_dtype != torch.quint8 or \
                dc.output_dtype != torch.quint8:
            continue
        weights = tuple(weight_dtypes) if dc.weight_dtype == torch.qint8 \
            else (dc.weight_dtype, )
        for act in act_dtypes:
            for weight in weights:
                key = (act, weight, dc.bias_dtype)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    DTypeConfig(
                        input_dtype=act,
                        output_dtype=act,
                        weight_dtype=weight,
                        bias_dtype=dc.bias_dtype))
    return out


def build_backend_config(
        name: str,
        keep: Optional[Callable[[BackendPatternConfig], bool]] = None,
        act_dtypes: Sequence[torch.dtype] = ACT_DTYPES,
        weight_dtypes: Sequence[torch.dtype] = WEIGHT_DTYPES) -> BackendConfig:
    """Build a static-quantization ``BackendConfig`` named ``name``.

    Args:
        name (str): The backend name.
        keep (Callable, optional): Filter on torch's native pattern configs.
        act_dtypes (Sequence[torch.dtype]): Activation dtypes supported.
            Defaults to quint8, qint8 and qint32 (more than 8 bits).
        weight_dtypes (Sequence[torch.dtype]): Weight dtypes supported.

    Returns:
        BackendConfig: The backend config.
    """
    with quiet_ao():
        native = get_native_backend_config()
    configs = []
    for pattern_cfg in native.configs:
        if keep is not None and not keep(pattern_cfg):
            continue
        dtype_configs = _static_dtype_configs(pattern_cfg.dtype_configs,
                                              act_dtypes, weight_dtypes)
        if not dtype_configs:
            continue
        new_cfg = BackendPatternConfig.from_dict(pattern_cfg.to_dict())
        new_cfg.set_dtype_configs(dtype_configs)
        configs.append(new_cfg)
    return BackendConfig(name).set_backend_pattern_configs(configs)
