# Copyright (c) OpenMMLab. All rights reserved.
"""The image operations of AutoAugment (PIL based).

Every operation is a transform on ``results['img']`` (an ``HxW`` or
``HxWxC`` uint8 array as loaded by ``LoadImageFromFile``, 3-channel images
in BGR order). It is applied with probability ``prob`` and its strength is
the AutoAugment *magnitude* level in ``[0, 10]``, mapped to the operation's
argument as in the TensorFlow/timm AutoAugment implementations:

=================================  =======================================
op                                 argument at level ``m``
=================================  =======================================
ShearX, ShearY                     ``±0.3 * m / 10`` (shear factor)
TranslateX, TranslateY             ``±translate_const * m / 10`` pixels
TranslateXRel, TranslateYRel       ``±translate_pct * m / 10`` * width/height
RotateV2                           ``±30 * m / 10`` degrees
PosterizeV2                        keep ``int(4 * m / 10)`` bits
SolarizeV2                         threshold ``int(256 * m / 10)``
SolarizeAddV2                      add ``int(110 * m / 10)`` below 128
ContrastV2, Color, BrightnessV2,   enhance factor ``1.8 * m / 10 + 0.1``
SharpnessV2
AutoContrastV2, InvertV2,          no argument
EqualizeV2
=================================  =======================================

``±`` means the sign is drawn at random (50 %). ``extra_params`` (the
"hparams" of timm) may set ``translate_const`` (250), ``translate_pct``
(0.45), ``img_mean`` (the RGB fill of uncovered pixels, (128, 128, 128)),
``interpolation`` (``'nearest'``, ``'bilinear'``, ``'bicubic'`` or a list
to draw from; default a random choice of bilinear and bicubic) and
``channel_order`` (``'bgr'`` (default) or ``'rgb'``, the order of
3-channel images in ``results['img']``).
"""
import random
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmrazor.registry import TRANSFORMS

MAX_LEVEL = 10.

_DEFAULT_PARAMS = dict(
    translate_const=250,
    translate_pct=0.45,
    img_mean=(128, 128, 128),
    interpolation=('bilinear', 'bicubic'),
    channel_order='bgr')


def _pil():
    try:
        from PIL import Image, ImageEnhance, ImageOps
    except ImportError as e:  # pragma: no cover - depends on the env
        raise ImportError('The AutoAugment transforms need Pillow: '
                          '`pip install pillow`.') from e
    return Image, ImageEnhance, ImageOps


def _resample_code(name: str) -> int:
    Image = _pil()[0]
    codes = dict(
        nearest=Image.NEAREST, bilinear=Image.BILINEAR, bicubic=Image.BICUBIC)
    if name not in codes:
        raise ValueError(f'AutoAugment: unknown interpolation {name!r}, '
                         f'expected one of {sorted(codes)}')
    return codes[name]


def _randomly_negate(value: float) -> float:
    return -value if random.random() > 0.5 else value


def merge_extra_params(extra_params: Optional[Dict],
                       owner: str) -> Dict[str, Any]:
    """Merge ``extra_params`` over the defaults and check the keys.

    Args:
        extra_params (dict, optional): The user's parameters.
        owner (str): Name of the transform, for error messages.

    Returns:
        dict: The complete parameters.
    """
    params = dict(_DEFAULT_PARAMS)
    if extra_params:
        unknown = set(extra_params) - set(_DEFAULT_PARAMS)
        if unknown:
            raise KeyError(f'{owner}: unknown extra_params '
                           f'{sorted(unknown)}; allowed keys are '
                           f'{sorted(_DEFAULT_PARAMS)}')
        params.update(extra_params)
    if params['channel_order'] not in ('bgr', 'rgb'):
        raise ValueError(f"{owner}: channel_order must be 'bgr' or 'rgb', "
                         f"got {params['channel_order']!r}")
    interp = params['interpolation']
    for name in ([interp] if isinstance(interp, str) else interp):
        _resample_code(name)
    return params


@TRANSFORMS.register_module()
class AutoAugmentOp(BaseTransform):
    """Base class of the AutoAugment operations.

    Built directly (``type='mmrazor.AutoAugmentOp'``) it needs ``op_name``,
    the timm name of an operation (e.g. ``'Rotate'``, ``'ShearX'``,
    ``'TranslateXRel'``, ``'Posterize'``; see :data:`OP_NAMES`), and
    applies that operation.

    Args:
        prob (float): Probability to apply the operation. Defaults to 0.5.
        magnitude (float): Magnitude level in ``[0, 10]``. Defaults to 10.
        extra_params (dict, optional): See the module docstring.
        op_name (str, optional): Only for the base class: the operation.
    """

    def __init__(self,
                 prob: float = 0.5,
                 magnitude: float = 10,
                 extra_params: Optional[Dict] = None,
                 op_name: Optional[str] = None) -> None:
        name = type(self).__name__
        if not 0. <= float(prob) <= 1.:
            raise ValueError(f'{name}: prob must be in [0, 1], got {prob}')
        if not 0. <= float(magnitude) <= MAX_LEVEL:
            raise ValueError(f'{name}: magnitude must be in [0, '
                             f'{MAX_LEVEL:g}], got {magnitude}')
        self.prob = float(prob)
        self.magnitude = magnitude
        self.extra_params = extra_params
        self.params = merge_extra_params(extra_params, name)
        self._delegate = None
        if type(self) is AutoAugmentOp:
            if op_name not in OP_NAMES:
                raise ValueError(f'AutoAugmentOp: op_name must be one of '
                                 f'{sorted(OP_NAMES)}, got {op_name!r}')
            self._delegate = OP_NAMES[op_name](prob, magnitude, extra_params)
        elif op_name is not None:
            raise TypeError(f'{name} does not take op_name')
        self.op_name = op_name

    # -- to be implemented by the operations -------------------------------
    def level_to_arg(self, level: float) -> Tuple:
        """The arguments of :meth:`apply` at magnitude ``level``."""
        return ()

    def apply(self, img, *args):
        """Apply the operation to a PIL image and return a PIL image."""
        raise NotImplementedError

    # -- shared machinery --------------------------------------------------
    def fill_color(self, img) -> Union[int, Tuple[int, ...]]:
        """The fill of the pixels a geometric op uncovers."""
        mean = tuple(int(round(v)) for v in self.params['img_mean'])
        if img.mode == 'L':
            return int(round(sum(mean) / len(mean)))
        return mean

    def resample(self) -> int:
        """The PIL resampling filter (drawn at random from a list)."""
        interp = self.params['interpolation']
        if not isinstance(interp, str):
            interp = random.choice(list(interp))
        return _resample_code(interp)

    def apply_to_array(self, img: np.ndarray) -> np.ndarray:
        """Apply the operation (unconditionally) to an image array.

        Args:
            img (np.ndarray): ``HxW`` or ``HxWxC`` (C in 1, 3) uint8 image.

        Returns:
            np.ndarray: The transformed image, same shape and dtype.
        """
        if self._delegate is not None:
            return self._delegate.apply_to_array(img)
        Image = _pil()[0]
        name = type(self).__name__
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
            raise TypeError(f'{name} expects a uint8 numpy image, got '
                            f'{getattr(img, "dtype", type(img))}')
        squeeze = img.ndim == 3 and img.shape[2] == 1
        if img.ndim == 2 or squeeze:
            pil = Image.fromarray(img.reshape(img.shape[:2]), mode='L')
        elif img.ndim == 3 and img.shape[2] == 3:
            rgb = img[..., ::-1] if self.params['channel_order'] == 'bgr' \
                else img
            pil = Image.fromarray(np.ascontiguousarray(rgb), mode='RGB')
        else:
            raise ValueError(f'{name} expects an HxW, HxWx1 or HxWx3 image, '
                             f'got shape {img.shape}')
        out = np.asarray(
            self.apply(pil, *self.level_to_arg(self.magnitude)),
            dtype=np.uint8)
        if out.ndim == 3 and self.params['channel_order'] == 'bgr':
            out = out[..., ::-1]
        if squeeze:
            out = out[..., None]
        return np.ascontiguousarray(out)

    def transform(self, results: Dict) -> Dict:
        """Apply the operation to ``results['img']`` with ``prob``."""
        if 'img' not in results:
            raise KeyError(f'{type(self).__name__}: the results have no '
                           "'img'; load the image first")
        prob = self.prob
        if prob < 1. and random.random() >= prob:
            return results
        results['img'] = self.apply_to_array(results['img'])
        return results

    def __repr__(self) -> str:
        extra = f', op_name={self.op_name!r}' if self.op_name else ''
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'magnitude={self.magnitude}{extra})')


# --------------------------------------------------------------- geometric
class _AffineOp(AutoAugmentOp):

    def matrix(self, img, value: float) -> Tuple[float, ...]:
        raise NotImplementedError

    def apply(self, img, value):
        Image = _pil()[0]
        return img.transform(
            img.size,
            Image.AFFINE,
            self.matrix(img, value),
            resample=self.resample(),
            fillcolor=self.fill_color(img))


class _ShearOp(_AffineOp):

    def level_to_arg(self, level):
        return (_randomly_negate(level / MAX_LEVEL * 0.3), )


@TRANSFORMS.register_module()
class ShearX(_ShearOp):
    """Shear along x: ``out(x, y) = in(x + f * y, y)``, f = ±0.3·m/10."""

    def matrix(self, img, value):
        return (1, value, 0, 0, 1, 0)


@TRANSFORMS.register_module()
class ShearY(_ShearOp):
    """Shear along y: ``out(x, y) = in(x, y + f * x)``, f = ±0.3·m/10."""

    def matrix(self, img, value):
        return (1, 0, 0, value, 1, 0)


class _TranslateAbsOp(_AffineOp):

    def level_to_arg(self, level):
        return (_randomly_negate(level / MAX_LEVEL *
                                 self.params['translate_const']), )


class _TranslateRelOp(_AffineOp):

    def level_to_arg(self, level):
        return (_randomly_negate(level / MAX_LEVEL *
                                 self.params['translate_pct']), )


@TRANSFORMS.register_module()
class TranslateX(_TranslateAbsOp):
    """Shift by ``±translate_const·m/10`` pixels along x:
    ``out(x, y) = in(x + t, y)``."""

    def matrix(self, img, value):
        return (1, 0, value, 0, 1, 0)


@TRANSFORMS.register_module()
class TranslateY(_TranslateAbsOp):
    """Shift by ``±translate_const·m/10`` pixels along y."""

    def matrix(self, img, value):
        return (1, 0, 0, 0, 1, value)


@TRANSFORMS.register_module()
class TranslateXRel(_TranslateRelOp):
    """Shift by ``±translate_pct·m/10`` of the width along x."""

    def matrix(self, img, value):
        return (1, 0, value * img.size[0], 0, 1, 0)


@TRANSFORMS.register_module()
class TranslateYRel(_TranslateRelOp):
    """Shift by ``±translate_pct·m/10`` of the height along y."""

    def matrix(self, img, value):
        return (1, 0, 0, 0, 1, value * img.size[1])


@TRANSFORMS.register_module()
class RotateV2(AutoAugmentOp):
    """Rotate counter-clockwise by ``±30·m/10`` degrees about the centre."""

    def level_to_arg(self, level):
        return (_randomly_negate(level / MAX_LEVEL * 30.), )

    def apply(self, img, degrees):
        return img.rotate(
            degrees, resample=self.resample(), fillcolor=self.fill_color(img))


# ------------------------------------------------------------ pixel-wise
def _lut_apply(img, lut):
    bands = len(img.getbands())
    return img.point(list(lut) * bands)


@TRANSFORMS.register_module()
class AutoContrastV2(AutoAugmentOp):
    """Stretch each channel so that its min maps to 0 and its max to 255."""

    def apply(self, img):
        return _pil()[2].autocontrast(img)


@TRANSFORMS.register_module()
class InvertV2(AutoAugmentOp):
    """``255 - x``."""

    def apply(self, img):
        return _lut_apply(img, [255 - i for i in range(256)])


@TRANSFORMS.register_module()
class EqualizeV2(AutoAugmentOp):
    """Histogram equalisation of each channel (``PIL.ImageOps.equalize``).
    """

    def apply(self, img):
        return _pil()[2].equalize(img)


@TRANSFORMS.register_module()
class SolarizeV2(AutoAugmentOp):
    """Invert the pixels ``>= int(256·m/10)``."""

    def level_to_arg(self, level):
        return (int(level / MAX_LEVEL * 256), )

    def apply(self, img, thresh):
        return _lut_apply(img,
                          [255 - i if i >= thresh else i for i in range(256)])


@TRANSFORMS.register_module()
class SolarizeAddV2(AutoAugmentOp):
    """Add ``int(110·m/10)`` to the pixels below 128 (clipped at 255)."""

    threshold = 128

    def level_to_arg(self, level):
        return (int(level / MAX_LEVEL * 110), )

    def apply(self, img, add):
        return _lut_apply(img, [
            min(255, i + add) if i < self.threshold else i for i in range(256)
        ])


@TRANSFORMS.register_module()
class PosterizeV2(AutoAugmentOp):
    """Keep the ``int(4·m/10)`` most significant bits of each pixel."""

    def level_to_arg(self, level):
        return (int(level / MAX_LEVEL * 4), )

    def apply(self, img, bits):
        if bits >= 8:
            return img
        mask = ~(2**(8 - bits) - 1) & 0xFF
        return _lut_apply(img, [i & mask for i in range(256)])


class PosterizeOriginal(PosterizeV2):
    """Posterize as the AutoAugment paper: keep ``4 + int(4·m/10)`` bits
    (the ``'original'`` policy of :class:`AutoAugment`; not registered)."""

    def level_to_arg(self, level):
        return (int(level / MAX_LEVEL * 4) + 4, )


class _EnhanceOp(AutoAugmentOp):
    enhancer = ''

    def level_to_arg(self, level):
        return (level / MAX_LEVEL * 1.8 + 0.1, )

    def apply(self, img, factor):
        return getattr(_pil()[1], self.enhancer)(img).enhance(factor)


@TRANSFORMS.register_module()
class ContrastV2(_EnhanceOp):
    """Blend with the mean grey level: factor ``1.8·m/10 + 0.1``."""
    enhancer = 'Contrast'


@TRANSFORMS.register_module()
class Color(_EnhanceOp):
    """Blend with the greyscale image (saturation): factor
    ``1.8·m/10 + 0.1``."""
    enhancer = 'Color'


@TRANSFORMS.register_module()
class BrightnessV2(_EnhanceOp):
    """Blend with black: factor ``1.8·m/10 + 0.1``."""
    enhancer = 'Brightness'


@TRANSFORMS.register_module()
class SharpnessV2(_EnhanceOp):
    """Blend with a smoothed image: factor ``1.8·m/10 + 0.1``."""
    enhancer = 'Sharpness'


#: timm/TF names of the operations -> classes.
OP_NAMES = dict(
    ShearX=ShearX,
    ShearY=ShearY,
    TranslateX=TranslateX,
    TranslateY=TranslateY,
    TranslateXRel=TranslateXRel,
    TranslateYRel=TranslateYRel,
    Rotate=RotateV2,
    AutoContrast=AutoContrastV2,
    Invert=InvertV2,
    Equalize=EqualizeV2,
    Solarize=SolarizeV2,
    SolarizeAdd=SolarizeAddV2,
    Posterize=PosterizeV2,
    PosterizeOriginal=PosterizeOriginal,
    Contrast=ContrastV2,
    Color=Color,
    Brightness=BrightnessV2,
    Sharpness=SharpnessV2)
