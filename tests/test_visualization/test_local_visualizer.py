# Copyright (c) OpenMMLab. All rights reserved.
"""``modify`` draws feature maps: channel reductions, top-k grid, resize,
overlay alpha; PNGs are written atomically."""
import os

import numpy as np
import pytest
import torch

from mmrazor.visualization import modify, norm_features, write_png


@pytest.fixture
def featmap():
    torch.manual_seed(0)
    feat = torch.rand(6, 8, 8)
    feat[2] += 5  # the channel with the largest activation
    feat[4, 1, 1] = 100  # the largest single pixel
    return feat


def test_channel_reductions(featmap):
    mean = modify(featmap, channel_reduction='squeeze_mean')
    select = modify(featmap, channel_reduction='select_max')
    pixel = modify(featmap, channel_reduction='pixel_wise_max')
    for img in (mean, select, pixel):
        assert img.shape == (8, 8, 3) and img.dtype == np.uint8
        assert img.std() > 0
    # select_max draws channel 2 alone: same as drawing it directly
    assert np.array_equal(
        select, modify(featmap[2:3], channel_reduction='squeeze_mean'))
    # pixel_wise_max: the hot pixel is the single maximum (dark red in JET)
    assert tuple(np.unravel_index(pixel[..., 0].astype(int).argmax(),
                                  (8, 8))) == (1, 1)
    assert not np.array_equal(mean, pixel)


def test_topk_grid_resize_and_overlay(featmap):
    grid = modify(featmap, channel_reduction=None, topk=4, arrangement=(2, 2))
    assert grid.shape == (8 * 2 + 2, 8 * 2 + 2, 3)
    assert (grid[8:10] == 255).all()  # the border row
    big = modify(featmap, resize_shape=(32, 24))
    assert big.shape == (32, 24, 3)
    image = np.zeros((16, 16, 3), np.uint8)
    for alpha, expected_max in ((0.0, 0), (1.0, 255)):
        out = modify(featmap, overlaid_image=image, alpha=alpha)
        assert out.shape == (16, 16, 3)
        assert out.max() == expected_max
    grey = np.full((16, 16), 200, np.uint8)
    half = modify(featmap, overlaid_image=grey, alpha=0.5)
    assert half.shape == (16, 16, 3) and half.min() >= 99


def test_bad_arguments(featmap):
    with pytest.raises(ValueError, match='channel_reduction'):
        modify(featmap, channel_reduction='max')
    with pytest.raises(ValueError, match=r'\(C, H, W\)'):
        modify(featmap[0])
    with pytest.raises(ValueError, match='1 or 3 channels'):
        modify(featmap, channel_reduction=None, topk=0)
    with pytest.raises(ValueError, match='alpha'):
        modify(featmap, alpha=2)


def test_norm_and_atomic_png(tmp_path, featmap):
    normed = norm_features(featmap)
    assert torch.allclose(normed.mean(dim=(1, 2)), torch.zeros(6), atol=1e-5)
    path = str(tmp_path / 'out.png')
    write_png(path, modify(featmap))
    import cv2
    back = cv2.imread(path)
    assert back.shape == (8, 8, 3)
    assert os.listdir(tmp_path) == ['out.png']  # no temporary left
    with pytest.raises(ValueError, match='.png'):
        write_png(str(tmp_path / 'out.jpg'), modify(featmap))
