# Copyright (c) OpenMMLab. All rights reserved.
"""Draw recorded feature maps and write them as PNG files (shared by
:class:`RazorVisualizationHook` and ``tools/visualizations``)."""
import os.path as osp
from typing import Any, Dict, Mapping, Optional

import numpy as np
import torch

from mmrazor.utils import atomic_write
from .local_visualizer import modify


def norm_features(feat: torch.Tensor) -> torch.Tensor:
    """Standardise each channel of an (N, C, H, W) or (C, H, W) map."""
    squeeze = feat.dim() == 3
    if squeeze:
        feat = feat[None]
    n, c, h, w = feat.shape
    flat = feat.permute(1, 0, 2, 3).reshape(c, -1).float()
    flat = (flat - flat.mean(dim=1, keepdim=True)) / (
        flat.std(dim=1, keepdim=True) + 1e-5)
    feat = flat.reshape(c, n, h, w).permute(1, 0, 2, 3)
    return feat[0] if squeeze else feat


def to_rgb_image(inputs: torch.Tensor) -> np.ndarray:
    """A (C, H, W) input tensor (grey or RGB) as an H x W x 3 uint8 image.

    Pixel values already in [0, 255] are kept; others are min-max scaled.
    """
    img = inputs.detach().float().cpu()
    if img.dim() == 4:
        img = img[0]
    if img.shape[0] == 1:
        img = img.repeat(3, 1, 1)
    img = img[:3].permute(1, 2, 0).numpy()
    if img.min() < 0 or img.max() > 255 or img.max() <= 1:
        low, high = img.min(), img.max()
        img = (img - low) / (high - low + 1e-12) * 255
    return np.ascontiguousarray(img.astype(np.uint8))


def recorded_features(
        recorder_manager,
        mappings: Mapping[str, Mapping]) -> Dict[str, torch.Tensor]:
    """The (C, H, W) maps of the first sample, one per mapped record.

    Args:
        recorder_manager (RecorderManager): Recorders that ran.
        mappings (dict): ``{name: dict(recorder=..., data_idx=None,
            record_idx=0)}``.

    Returns:
        dict: ``{name: map}`` (``{name}_{i}`` when a record holds several
        tensors).
    """
    maps = {}
    for name, mapping in mappings.items():
        if 'recorder' not in mapping:
            raise KeyError(f'mapping {name!r} needs a `recorder` key, got '
                           f'{dict(mapping)}')
        recorder = recorder_manager.get_recorder(mapping['recorder'])
        data = recorder.get_record_data(
            mapping.get('record_idx', 0), mapping.get('data_idx'))
        tensors = list(data) if isinstance(data, (list, tuple)) else [data]
        for i, tensor in enumerate(tensors):
            if not isinstance(tensor, torch.Tensor) or \
                    tensor.dim() not in (3, 4):
                raise TypeError(
                    f'mapping {name!r}: recorder {mapping["recorder"]!r} '
                    'recorded a non feature map '
                    f'({getattr(tensor, "shape", type(tensor))}); '
                    'map a (N, C, H, W) output or pick one with data_idx')
            key = name if len(tensors) == 1 else f'{name}_{i}'
            maps[key] = tensor[0] if tensor.dim() == 4 else tensor
    return maps


def draw_features(maps: Mapping[str, torch.Tensor],
                  image: Optional[np.ndarray] = None,
                  use_norm: bool = False,
                  **vis_cfg: Any) -> Dict[str, np.ndarray]:
    """Draw each map with :func:`modify` (over ``image`` if given)."""
    return {
        name:
        modify(
            norm_features(feat) if use_norm else feat,
            overlaid_image=image,
            **vis_cfg)
        for name, feat in maps.items()
    }


def write_png(path: str, rgb: np.ndarray) -> str:
    """Write an RGB image as a PNG, atomically.

    Args:
        path (str): The destination (``.png``).
        rgb (np.ndarray): H x W x 3 uint8 RGB image.

    Returns:
        str: ``path``.
    """
    import cv2
    if osp.splitext(path)[1].lower() != '.png':
        raise ValueError(f'write_png writes .png files, got {path!r}')
    bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)

    def writer(tmp: str) -> None:
        if not cv2.imwrite(tmp, bgr):
            raise OSError(f'cannot write the image {path!r}')

    atomic_write(path, writer)
    return path


__all__ = [
    'norm_features', 'to_rgb_image', 'recorded_features', 'draw_features',
    'write_png'
]
