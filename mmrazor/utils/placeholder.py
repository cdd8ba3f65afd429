# Copyright (c) OpenMMLab. All rights reserved.
"""Lazy stand-ins for optional dependencies.

A module that uses an optional package imports it inside ``try`` and binds
the name to a placeholder on failure; the placeholder raises an
``ImportError`` naming the pip package only when it is used.
"""
from typing import Any

#: import name -> pip package to install
PIP_NAMES = {
    'mmcls': 'mmpretrain',  # mmcls configs run on mmpretrain
    'mmpretrain': 'mmpretrain',
    'mmdet': 'mmdet',
    'mmseg': 'mmsegmentation',
    'mmpose': 'mmpose',
    'mmdeploy': 'mmdeploy',
    'sklearn': 'scikit-learn',
    'onnx': 'onnx',
    'onnxruntime': 'onnxruntime',
    'scipy': 'scipy',
    'cv2': 'opencv-python',
    'timm': 'timm',
}


def pip_name(string: str) -> str:
    """The pip package that provides the import name ``string``."""
    return PIP_NAMES.get(string.split('.')[0], string.split('.')[0])


def _missing(string: str) -> ImportError:
    return ImportError(f'`{string}` is not installed properly: this feature '
                       f'needs it. Install it with `pip install '
                       f'{pip_name(string)}`.')


def get_placeholder(string: str) -> object:
    """Get a placeholder class for a class of a missing dependency.

    Args:
        string (str): the dependency's name, e.g. ``'mmcls'``.

    Returns:
        object: A class whose instantiation (or subclass instantiation)
        raises ``ImportError`` naming the package to install.

    Examples:
        >>> ResNet = get_placeholder('mmcls')
        >>> ResNet()
        Traceback (most recent call last):
        ...
        ImportError: `mmcls` is not installed properly: ...
    """

    class PlaceHolder():

        def __init__(self, *args, **kwargs) -> None:
            raise _missing(string)

    PlaceHolder.__name__ = f'PlaceHolder({string})'
    return PlaceHolder


class _PackagePlaceholder:

    def __init__(self, string: str) -> None:
        self.__dict__['_string'] = string

    def __getattr__(self, name: str) -> Any:
        raise _missing(f'{self._string}')

    def __call__(self, *args, **kwargs) -> Any:
        raise _missing(self._string)

    def __repr__(self) -> str:
        return f'<placeholder for missing package {self._string!r}>'


def get_package_placeholder(string: str) -> object:
    """Get a placeholder for a whole missing package.

    Args:
        string (str): the dependency's name, e.g. ``'mmdet'``.

    Returns:
        object: Any attribute access or call raises ``ImportError`` naming
        the package to install.
    """
    return _PackagePlaceholder(string)
