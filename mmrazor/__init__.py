# Copyright (c) OpenMMLab. All rights reserved.
"""MMRazor: model compression (NAS, pruning, KD, quantization) on MMEngine.

Importing the package is cheap: it checks the installed mmcv and mmengine
versions (a clear error names the installed and the supported versions),
and installs the mmcls-on-mmpretrain compatibility layer, which only acts
when the real ``mmcls`` package is not importable.
"""
import sys
import warnings
from typing import Optional

from mmengine.utils import digit_version

from .version import __version__, version_info

MMCV_MIN = '2.0.0rc1'
MMCV_MAX = '2.4.0'  # exclusive
MMENGINE_MIN = '0.7.0'
MMENGINE_MAX = '1.0.0'  # exclusive


def _installed_version(package: str) -> Optional[str]:
    """The version of ``package`` without importing it (importing mmcv
    costs a third of ``import mmrazor``); None when it is not installed."""
    module = sys.modules.get(package)
    if module is not None:
        return getattr(module, '__version__', None)
    from importlib import metadata
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None  # mmcv is only needed by the components that use it


def _check_versions() -> None:
    """Raise one clear error when mmcv or mmengine is out of range."""
    import mmengine
    problems = []
    mmengine_v = digit_version(mmengine.__version__)
    if not (digit_version(MMENGINE_MIN) <= mmengine_v <
            digit_version(MMENGINE_MAX)):
        problems.append(f'mmengine=={mmengine.__version__} is installed, '
                        f'mmrazor supports {MMENGINE_MIN} <= mmengine < '
                        f'{MMENGINE_MAX}')
    mmcv_version = _installed_version('mmcv')
    if mmcv_version is not None:
        mmcv_v = digit_version(mmcv_version)
        if not (digit_version(MMCV_MIN) <= mmcv_v < digit_version(MMCV_MAX)):
            problems.append(f'mmcv=={mmcv_version} is installed, '
                            f'mmrazor supports {MMCV_MIN} <= mmcv < '
                            f'{MMCV_MAX}')
    if problems:
        raise ImportError('Incompatible dependencies for mmrazor '
                          f'{__version__}: ' + '; '.join(problems) +
                          '. Install the pinned stack with '
                          '`bash tools/setup_env.sh`.')


_check_versions()

# MMEngine imports pkg_resources lazily to resolve `pkg::` config prefixes;
# its deprecation notice is noise for our users (setuptools is pinned).
warnings.filterwarnings(
    'ignore', message='pkg_resources is deprecated', category=UserWarning)

from .utils.mmcls_compat import install_mmcls_compat  # noqa: E402

install_mmcls_compat()

from .utils.config_compat import \
    install_config_compat  # noqa: E402 isort:skip

install_config_compat()

__all__ = ['__version__', 'version_info', 'digit_version']
