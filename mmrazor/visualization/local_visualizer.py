# Copyright (c) OpenMMLab. All rights reserved.
"""Feature-map drawing for MMRazor's visualisation hook and tools.

:func:`modify` replaces MMEngine's ``Visualizer.draw_featmap`` (it is
patched onto the visualizer by :class:`RazorVisualizationHook` and
``tools/visualizations/*``). Compared with MMEngine it adds the
``'pixel_wise_max'`` channel reduction, draws the top-k channels as a plain
image grid (no matplotlib figure) and resizes feature maps to the overlaid
image.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

#: The channel reductions :func:`modify` understands.
CHANNEL_REDUCTIONS = ('squeeze_mean', 'select_max', 'pixel_wise_max')


def _heatmap(feat: torch.Tensor,
             image: Optional[np.ndarray] = None,
             alpha: float = 0.5) -> np.ndarray:
    """An RGB JET heatmap of a (H, W) map, blended over ``image``."""
    import cv2
    feat = feat.detach().float().cpu().numpy()
    low, high = float(feat.min()), float(feat.max())
    scale = 255.0 / (high - low) if high > low else 0.0
    norm = np.clip((feat - low) * scale, 0, 255).astype(np.uint8)
    heat = cv2.cvtColor(
        cv2.applyColorMap(norm, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    if image is None:
        return heat
    return cv2.addWeighted(image, 1 - alpha, heat, alpha, 0)


def _prepare_image(image: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """An RGB uint8 image of ``shape`` (H, W)."""
    import cv2
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.shape[:2] != tuple(shape):
        image = cv2.resize(image, (shape[1], shape[0]))
    return np.ascontiguousarray(image)


def _resize(featmap: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    return F.interpolate(
        featmap[None].float(),
        size=tuple(shape),
        mode='bilinear',
        align_corners=False)[0]


def _grid(tiles: Sequence[np.ndarray],
          rows: int,
          cols: int,
          border: int = 2) -> np.ndarray:
    """Tile equally sized RGB images row by row, white borders between."""
    h, w = tiles[0].shape[:2]
    grid = np.full(
        ((h + border) * rows - border, (w + border) * cols - border, 3),
        255,
        dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        top, left = r * (h + border), c * (w + border)
        grid[top:top + h, left:left + w] = tile
    return grid


def modify(featmap: torch.Tensor,
           overlaid_image: Optional[np.ndarray] = None,
           channel_reduction: Optional[str] = 'pixel_wise_max',
           topk: int = 20,
           arrangement: Tuple[int, int] = (4, 5),
           resize_shape: Optional[tuple] = None,
           alpha: float = 0.5) -> np.ndarray:
    """Draw a (C, H, W) feature map as an RGB image.

    * ``channel_reduction`` reduces the channels to one map:
      ``'squeeze_mean'`` (mean over channels), ``'select_max'`` (the
      channel with the largest total activation) or ``'pixel_wise_max'``
      (the largest activation at each pixel).
    * With ``channel_reduction=None``, the ``topk`` channels of the largest
      total activation are drawn side by side, ``arrangement=(rows, cols)``
      (``topk <= 0``: the map must have 1 or 3 channels, drawn as is).
    * ``resize_shape=(H, W)`` resizes the map (and the image); otherwise the
      map is resized to the overlaid image.
    * ``overlaid_image`` (RGB, H x W x 3 or grey) is blended under the
      heatmap with weight ``1 - alpha``.

    Args:
        featmap (torch.Tensor): The (C, H, W) feature map.
        overlaid_image (np.ndarray, optional): The image drawn under it.
        channel_reduction (str, optional): See above. Defaults to
            ``'pixel_wise_max'``.
        topk (int): Channels drawn without reduction. Defaults to 20.
        arrangement (tuple[int, int]): Grid rows and columns. Defaults to
            (4, 5).
        resize_shape (tuple, optional): Output (H, W) of each map.
        alpha (float): Heatmap weight in the blend. Defaults to 0.5.

    Returns:
        np.ndarray: The drawn RGB image (uint8).
    """
    if not isinstance(featmap, torch.Tensor) or featmap.ndim != 3:
        raise ValueError('featmap must be a (C, H, W) tensor, got '
                         f'{getattr(featmap, "shape", type(featmap))}')
    if channel_reduction is not None and \
            channel_reduction not in CHANNEL_REDUCTIONS:
        raise ValueError(f'channel_reduction must be one of '
                         f'{CHANNEL_REDUCTIONS} or None, got '
                         f'{channel_reduction!r}')
    if not 0 <= alpha <= 1:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    featmap = featmap.detach().float().cpu()
    if resize_shape is not None:
        featmap = _resize(featmap, resize_shape)
    elif overlaid_image is not None and \
            tuple(featmap.shape[1:]) != tuple(overlaid_image.shape[:2]):
        featmap = _resize(featmap, overlaid_image.shape[:2])
    image = None if overlaid_image is None else _prepare_image(
        overlaid_image, featmap.shape[1:])

    if channel_reduction == 'squeeze_mean':
        return _heatmap(featmap.mean(dim=0), image, alpha)
    if channel_reduction == 'select_max':
        index = featmap.sum(dim=(1, 2)).argmax()
        return _heatmap(featmap[index], image, alpha)
    if channel_reduction == 'pixel_wise_max':
        return _heatmap(featmap.max(dim=0).values, image, alpha)

    if topk <= 0:
        if featmap.shape[0] not in (1, 3):
            raise ValueError('with channel_reduction=None and topk <= 0 the '
                             'feature map must have 1 or 3 channels, got '
                             f'{featmap.shape[0]}')
        if featmap.shape[0] == 1:
            return _heatmap(featmap[0], image, alpha)
        rgb = featmap.permute(1, 2, 0).numpy()
        low, high = rgb.min(), rgb.max()
        rgb = ((rgb - low) / (high - low + 1e-12) * 255).astype(np.uint8)
        return rgb if image is None else _prepare_image(
            (rgb * alpha + image * (1 - alpha)), rgb.shape[:2])
    rows, cols = arrangement
    if rows * cols <= 0:
        raise ValueError(f'arrangement must be positive, got {arrangement}')
    k = min(topk, featmap.shape[0], rows * cols)
    indices = featmap.sum(dim=(1, 2)).topk(k).indices
    tiles = [_heatmap(featmap[i], image, alpha) for i in indices]
    rows = (k + cols - 1) // cols
    return _grid(tiles, rows, min(cols, k))


__all__ = ['modify', 'CHANNEL_REDUCTIONS']
