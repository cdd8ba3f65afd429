# Copyright (c) OpenMMLab. All rights reserved.
"""AutoAugment transforms against hand-computed pixels on tiny images."""
import math
import random

import numpy as np
import pytest

import mmrazor.datasets  # noqa: F401
from mmrazor.datasets.transforms import auto_augment_ops as ops
from mmrazor.registry import TRANSFORMS

RAMP = (np.arange(16, dtype=np.uint8) * 10).reshape(4, 4)
FILL = 128
NEAREST = dict(interpolation='nearest')


def build(name, magnitude=10, prob=1.0, **extra):
    params = dict(NEAREST, **extra)
    return TRANSFORMS.build(
        dict(
            type=f'mmrazor.{name}',
            prob=prob,
            magnitude=magnitude,
            extra_params=params))


@pytest.fixture
def positive(monkeypatch):
    """random.random() -> 0.0: ops applied, arguments not negated."""
    monkeypatch.setattr(ops.random, 'random', lambda: 0.0)


@pytest.fixture
def negative(monkeypatch):
    """random.random() -> 0.9: ops with prob 1 applied, args negated."""
    monkeypatch.setattr(ops.random, 'random', lambda: 0.9)


def run(t, img):
    return t(dict(img=img.copy()))['img']


# ------------------------------------------------------------ geometric
def test_shear_x_hand_computed(positive):
    # f = 0.3: out(x, y) = in(floor(x + 0.5 + 0.3 (y + 0.5)), y)
    # row offsets 0.15, 0.45, 0.75, 1.05 -> rows 2, 3 shift left by 1
    expected = np.array([[0, 10, 20, 30], [40, 50, 60, 70],
                         [90, 100, 110, FILL], [130, 140, 150, FILL]])
    np.testing.assert_array_equal(run(build('ShearX'), RAMP), expected)


def test_shear_x_negated(negative):
    expected = np.array([[0, 10, 20, 30], [40, 50, 60, 70],
                         [FILL, 80, 90, 100], [FILL, 120, 130, 140]])
    np.testing.assert_array_equal(run(build('ShearX'), RAMP), expected)


def test_shear_y_hand_computed(positive):
    # column offsets 0.15, 0.45, 0.75, 1.05 -> columns 2, 3 move up by 1
    expected = np.array([[0, 10, 60, 70], [40, 50, 100, 110],
                         [80, 90, 140, 150], [120, 130, FILL, FILL]])
    np.testing.assert_array_equal(run(build('ShearY'), RAMP), expected)


def test_translate_abs_and_rel(positive):
    # TranslateX by translate_const * m / 10 = 2 pixels: out(x) = in(x + 2)
    t = build('TranslateX', magnitude=5, translate_const=4)
    expected = np.array([[20, 30, FILL, FILL], [60, 70, FILL, FILL],
                         [100, 110, FILL, FILL], [140, 150, FILL, FILL]])
    np.testing.assert_array_equal(run(t, RAMP), expected)
    # TranslateYRel: 0.25 of the height = 1 row (translate_pct 0.5, m 5)
    t = build('TranslateYRel', magnitude=5, translate_pct=0.5)
    expected = np.array([[40, 50, 60, 70], [80, 90, 100, 110],
                         [120, 130, 140, 150], [FILL] * 4])
    np.testing.assert_array_equal(run(t, RAMP), expected)


def test_translate_negated_moves_the_other_way(negative):
    t = build('TranslateY', magnitude=10, translate_const=1)
    expected = np.array([[FILL] * 4, [0, 10, 20, 30], [40, 50, 60, 70],
                         [80, 90, 100, 110]])
    np.testing.assert_array_equal(run(t, RAMP), expected)
    t = build('TranslateXRel', magnitude=10, translate_pct=0.25)
    expected = np.array([[FILL, 0, 10, 20], [FILL, 40, 50, 60],
                         [FILL, 80, 90, 100], [FILL, 120, 130, 140]])
    np.testing.assert_array_equal(run(t, RAMP), expected)


def _rotate_reference(img, degrees, fill):
    """Nearest-neighbour inverse mapping about the image centre."""
    h, w = img.shape
    out = np.full_like(img, fill)
    rad = math.radians(degrees)
    c, s = math.cos(rad), math.sin(rad)
    cx, cy = w / 2, h / 2
    for y in range(h):
        for x in range(w):
            dx, dy = x + 0.5 - cx, y + 0.5 - cy
            # counter-clockwise rotation of the image (y axis down)
            xin = c * dx - s * dy + cx
            yin = s * dx + c * dy + cy
            xi, yi = math.floor(xin), math.floor(yin)
            if 0 <= xi < w and 0 <= yi < h:
                out[y, x] = img[yi, xi]
    return out


@pytest.mark.parametrize('magnitude', [0, 10 / 3, 10])
def test_rotate(positive, magnitude):
    img = (np.arange(36, dtype=np.uint8) * 7).reshape(6, 6)
    out = run(build('RotateV2', magnitude=magnitude), img)
    expected = _rotate_reference(img, 30 * magnitude / 10, FILL)
    np.testing.assert_array_equal(out, expected)


def test_rotate_90_degrees_matches_rot90(positive):
    # the op maps the level to <= 30 degrees; apply() at 90 checks the
    # direction: counter-clockwise, like np.rot90
    t = build('RotateV2')
    from PIL import Image
    out = np.asarray(t.apply(Image.fromarray(RAMP), 90))
    np.testing.assert_array_equal(out, np.rot90(RAMP))


# ------------------------------------------------------------ pixel ops
def test_invert_solarize_posterize():
    np.testing.assert_array_equal(run(build('InvertV2'), RAMP), 255 - RAMP)
    # threshold int(256 * 5 / 10) = 128: values >= 128 are inverted
    out = run(build('SolarizeV2', magnitude=5), RAMP)
    expected = np.where(RAMP >= 128, 255 - RAMP, RAMP)
    np.testing.assert_array_equal(out, expected)
    assert out[3, 1] == 255 - 130 and out[3, 0] == 120
    # magnitude 10: threshold 256, nothing changes
    np.testing.assert_array_equal(run(build('SolarizeV2'), RAMP), RAMP)
    # int(4 * 5 / 10) = 2 bits kept: mask 0b11000000
    out = run(build('PosterizeV2', magnitude=5), RAMP)
    np.testing.assert_array_equal(out, RAMP & 0xC0)
    assert out[1, 3] == 64 and out[3, 3] == 128
    # the 'original' policy keeps 4 + int(4 * m / 10) bits
    assert ops.PosterizeOriginal(1., 10).level_to_arg(10) == (8, )


def test_solarize_add():
    # add int(110 * 10 / 10) = 110 below 128, clipped at 255
    img = np.array([[0, 100, 127, 128], [200, 145, 120, 17]], np.uint8)
    out = run(build('SolarizeAddV2'), img)
    np.testing.assert_array_equal(out,
                                  [[110, 210, 237, 128], [200, 145, 230, 127]])


def test_autocontrast_and_equalize():
    img = np.array([[55, 65], [75, 106]], np.uint8)
    # min 55 -> 0, max 106 -> 255: scale 255 / 51 = 5, offset -275
    np.testing.assert_array_equal(
        run(build('AutoContrastV2'), img), [[0, 50], [100, 255]])
    # 255 px of 10, 255 px of 20, 2 px of 30: step = 510 // 255 = 2,
    # lut(10) = 1 // 2 = 0, lut(20) = (1 + 255) // 2 = 128,
    # lut(30) = (1 + 510) // 2 = 255
    img = np.full(512, 10, np.uint8)
    img[255:510] = 20
    img[510:] = 30
    out = run(build('EqualizeV2'), img.reshape(16, 32))
    np.testing.assert_array_equal(
        np.unique(out.reshape(-1)[[0, 300, 511]]), [0, 128, 255])
    assert (out.reshape(-1)[:255] == 0).all()
    assert (out.reshape(-1)[255:510] == 128).all()
    assert (out.reshape(-1)[510:] == 255).all()


def test_enhance_ops_hand_computed():
    # factor 1.8 * m / 10 + 0.1; PIL blends degenerate + f (x - degenerate)
    # and truncates
    # magnitude 5: factor 1.0, the identity for every enhance op
    for name in ('ContrastV2', 'Color', 'BrightnessV2', 'SharpnessV2'):
        np.testing.assert_array_equal(
            run(build(name, magnitude=5), RAMP), RAMP)
    f = 1.9
    # brightness: degenerate is black
    out = run(build('BrightnessV2'), RAMP)
    np.testing.assert_array_equal(out, np.clip(np.trunc(RAMP * f), 0, 255))
    # contrast: degenerate is the mean grey level, int(75.0 + 0.5) = 75
    out = run(build('ContrastV2'), RAMP)
    expected = np.clip(np.trunc(75 + f * (RAMP.astype(float) - 75)), 0, 255)
    np.testing.assert_array_equal(out, expected)
    assert out[1, 0] == 8 and out[2, 0] == 84


def test_color_uses_rgb_order_of_bgr_images():
    # a pure blue BGR pixel: RGB (0, 0, 255), grey L = 255 * 114 / 1000
    # = 29; factor 0.1 (magnitude 0): c' = trunc(29 + 0.1 (c - 29))
    img = np.zeros((1, 1, 3), np.uint8)
    img[0, 0, 0] = 255  # B
    out = run(build('Color', magnitude=0), img)
    np.testing.assert_array_equal(out[0, 0], [51, 26, 26])  # B, G, R
    # the same array read as RGB (a red pixel): L = 255 * 299 / 1000 = 76,
    # R' = trunc(76 + 0.1 * 179) = 93, G' = B' = trunc(76 - 7.6) = 68
    out = run(build('Color', magnitude=0, channel_order='rgb'), img)
    np.testing.assert_array_equal(out[0, 0], [93, 68, 68])


def test_fill_uses_img_mean_rgb(positive):
    img = np.zeros((2, 2, 3), np.uint8)
    t = build('TranslateX', translate_const=2, img_mean=(1, 2, 3))
    out = run(t, img)
    # everything uncovered: the RGB fill (1, 2, 3) stored as BGR
    np.testing.assert_array_equal(out[0, 0], [3, 2, 1])
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8


def test_single_channel_shape_is_kept():
    img = RAMP[..., None]
    out = run(build('InvertV2'), img)
    assert out.shape == (4, 4, 1)
    np.testing.assert_array_equal(out[..., 0], 255 - RAMP)


# --------------------------------------------------------- probabilities
def test_prob_zero_never_applies_and_prob_is_respected():
    t = build('InvertV2', prob=0.0)
    for _ in range(20):
        np.testing.assert_array_equal(run(t, RAMP), RAMP)
    random.seed(0)
    t = build('InvertV2', prob=0.3)
    applied = sum(int(run(t, RAMP)[0, 0] == 255) for _ in range(2000)) / 2000
    assert abs(applied - 0.3) < 0.05


def test_random_sign_is_balanced():
    random.seed(1)
    t = build('TranslateX', translate_const=1)
    lefts = sum(int(run(t, RAMP)[0, 3] == FILL) for _ in range(1000))
    assert 400 < lefts < 600


def test_base_op_by_name(positive):
    t = TRANSFORMS.build(
        dict(
            type='mmrazor.AutoAugmentOp',
            op_name='Invert',
            prob=1.0,
            extra_params=NEAREST))
    np.testing.assert_array_equal(run(t, RAMP), 255 - RAMP)


# -------------------------------------------------------------- policies
def test_auto_augment_v2_applies_one_sub_policy(monkeypatch):
    policies = [[
        dict(type='mmrazor.InvertV2', prob=1.0, magnitude=1),
        dict(type='mmrazor.PosterizeV2', prob=1.0, magnitude=5),
    ], [dict(type='mmrazor.SolarizeV2', prob=1.0, magnitude=5)]]
    t = TRANSFORMS.build(dict(type='mmrazor.AutoAugmentV2', policies=policies))
    assert len(t.policies) == 2
    monkeypatch.setattr(random, 'choice', lambda seq: seq[0])
    np.testing.assert_array_equal(run(t, RAMP), (255 - RAMP) & 0xC0)
    monkeypatch.setattr(random, 'choice', lambda seq: seq[1])
    np.testing.assert_array_equal(
        run(t, RAMP), np.where(RAMP >= 128, 255 - RAMP, RAMP))


def test_auto_augment_v2_draws_each_sub_policy():
    policies = [[dict(type='mmrazor.InvertV2', prob=1.0)],
                [dict(type='mmrazor.PosterizeV2', prob=1.0, magnitude=0)]]
    t = TRANSFORMS.build(dict(type='mmrazor.AutoAugmentV2', policies=policies))
    random.seed(0)
    seen = {int(run(t, RAMP)[1, 1]) for _ in range(50)}
    assert seen == {255 - 50, 0}


@pytest.mark.parametrize('policies', ['original', 'v0'])
def test_auto_augment_named_policies(policies):
    t = TRANSFORMS.build(dict(type='mmrazor.AutoAugment', policies=policies))
    assert len(t.policies) == 25
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (12, 12, 3)).astype(np.uint8)
    random.seed(0)
    changed = 0
    for _ in range(30):
        out = run(t, img)
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += int(not np.array_equal(out, img))
    assert changed > 10


def test_auto_augment_custom_policy(positive):
    t = TRANSFORMS.build(
        dict(
            type='mmrazor.AutoAugment',
            policies=[[('Invert', 1.0, 0), ('Solarize', 1.0, 5)]]))
    out = run(t, RAMP)
    inv = 255 - RAMP
    np.testing.assert_array_equal(out, np.where(inv >= 128, 255 - inv, inv))


def test_pipeline_with_mmcv_compose():
    from mmcv.transforms import Compose
    pipeline = Compose([
        dict(
            type='mmrazor.AutoAugmentV2',
            policies=[[dict(type='mmrazor.RotateV2', prob=1.0)]]),
        dict(type='mmrazor.AutoAugment', policies='v0'),
    ])
    img = np.random.RandomState(1).randint(0, 256, (8, 8, 3)).astype(np.uint8)
    assert pipeline(dict(img=img))['img'].shape == (8, 8, 3)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize('cfg, err, words', [
    (dict(type='mmrazor.ShearX',
          magnitude=11), ValueError, ['ShearX', 'magnitude', '[0, 10]']),
    (dict(type='mmrazor.ShearX', prob=1.5), ValueError, ['ShearX', 'prob']),
    (dict(type='mmrazor.RotateV2', extra_params=dict(fill=3)), KeyError,
     ['RotateV2', 'fill', 'img_mean']),
    (dict(type='mmrazor.RotateV2', extra_params=dict(interpolation='lanczos')),
     ValueError, ['lanczos', 'bicubic']),
    (dict(type='mmrazor.AutoAugmentOp',
          op_name='Blur'), ValueError, ['Blur', 'Rotate']),
    (dict(type='mmrazor.AutoAugment',
          policies='v9'), ValueError, ['v9', 'original']),
    (dict(type='mmrazor.AutoAugment', policies=[[
        ('Blur', 0.5, 3)
    ]]), ValueError, ['Blur', 'sub-policy 0']),
    (dict(type='mmrazor.AutoAugmentV2',
          policies=[]), ValueError, ['non-empty']),
    (dict(type='mmrazor.AutoAugmentV2',
          policies=[[dict(prob=1)]]), ValueError, ['sub-policy 0', 'type']),
])
def test_bad_configs(cfg, err, words):
    with pytest.raises(Exception) as info:
        TRANSFORMS.build(cfg)
    exc = info.value
    while not isinstance(exc, err) and exc.__cause__ is not None:
        exc = exc.__cause__
    assert isinstance(exc, err), repr(info.value)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_bad_images():
    t = build('InvertV2')
    with pytest.raises(KeyError, match='img'):
        t(dict(gt_label=1))
    with pytest.raises(TypeError, match='uint8'):
        t(dict(img=RAMP.astype(np.float32)))
    with pytest.raises(ValueError, match='HxWx3'):
        t(dict(img=np.zeros((2, 2, 4), np.uint8)))
