# Copyright (c) OpenMMLab. All rights reserved.
"""Resolve the ``pkg::path`` config prefixes of MMRazor 1.x configs.

MMEngine resolves ``_base_ = ['mmdet::...']`` and ``cfg_path='mmcls::...'``
through the installed package's ``.mim`` folder. Two cases broke for
MMRazor 1.x configs:

* **Editable installs.** MMEngine guesses the package folder as
  ``<site-packages>/<package>``, which does not exist for a develop install
  (``pip install -e``), so ``mmrazor::_base_/...`` failed from any working
  directory. :func:`installed_path` falls back to the folder the package is
  imported from.
* **Renamed upstream configs.** mmdet 3.x and mmpretrain renamed many
  configs of their predecessors (``faster_rcnn/faster_rcnn_r50_fpn_1x_coco``
  became ``faster_rcnn/faster-rcnn_r50_fpn_1x_coco``, mmcls's
  ``deit/deit-base_pt-16xb64_in1k`` is mmpretrain's
  ``deit/deit-base_16xb64_in1k``). A missing name resolves to its successor
  (from :data:`RENAMED_CONFIGS` or a unique same-folder name that differs
  only in ``-``/``_`` separators), with a one-line notice.

:func:`install_config_compat` (called at ``import mmrazor``) patches
MMEngine in place; it is idempotent.
"""
import importlib.util
import logging
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Tuple

#: Explicit renames of upstream configs (old relative path -> successor),
#: keyed by the package that serves the prefix.
RENAMED_CONFIGS: Dict[str,
                      Dict[str, str]] = {
                          'mmdet': {
                              'yolox/yolox_s_8x8_300e_coco.py':
                              'yolox/yolox_s_8xb8-300e_coco.py',
                              'retinanet/retinanet_x101_64x4d_fpn_1x_coco.py':
                              'retinanet/retinanet_x101-64x4d_fpn_1x_coco.py',
                              'gfl/gfl_r101_fpn_mstrain_2x_coco.py':
                              'gfl/gfl_r101_fpn_ms-2x_coco.py',
                          },
                          'mmpretrain': {
                              'deit/deit-base_pt-16xb64_in1k.py':
                              'deit/deit-base_16xb64_in1k.py',
                              'deit/deit-base-distilled_pt-16xb64_in1k.py':
                              'deit/deit-base-distilled_16xb64_in1k.py',
                          },
                      }

#: Name tokens dropped when matching a renamed config to its successor
#: (mmcls marked ImageNet-pretrained configs with ``_pt-``).
_IGNORED_TOKENS = {'pt'}

_STATE = {'installed': False, 'notified': set()}


def installed_path(package: str, original=None) -> str:
    """The folder of an installed package, editable installs included.

    Args:
        package (str): The distribution or module name (``'mmrazor'``).
        original (callable, optional): MMEngine's ``get_installed_path``.

    Returns:
        str: The package folder.
    """
    if original is None:
        from mmengine.utils import package_utils
        original = getattr(package_utils.get_installed_path, '__wrapped__',
                           package_utils.get_installed_path)
    path = original(package)
    if osp.isdir(path):
        return path
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin is not None:
        return osp.dirname(spec.origin)
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    return path


def _tokens(name: str) -> List[str]:
    name = name[:-3] if name.endswith('.py') else name
    return [
        t for t in re.split(r'[-_]', name.lower())
        if t and t not in _IGNORED_TOKENS
    ]


def find_successor(package_path: str, package: str,
                   rel_path: str) -> Optional[str]:
    """The successor of a renamed upstream config, if there is exactly one.

    Args:
        package_path (str): The package folder (holding ``.mim/configs``).
        package (str): The package serving the prefix (``'mmdet'``).
        rel_path (str): The config path after ``package::``.

    Returns:
        str or None: The successor's relative path, or None.
    """
    configs = osp.join(package_path, '.mim', 'configs')
    renamed = RENAMED_CONFIGS.get(package, {}).get(rel_path)
    if renamed is not None and osp.isfile(osp.join(configs, renamed)):
        return renamed
    folder, name = osp.split(rel_path)
    if not osp.isdir(osp.join(configs, folder)):
        return None
    wanted = _tokens(name)
    matches = [
        candidate
        for candidate in sorted(os.listdir(osp.join(configs, folder)))
        if candidate.endswith('.py') and _tokens(candidate) == wanted
    ]
    if len(matches) != 1:
        return None
    return osp.join(folder, matches[0]) if folder else matches[0]


def _notify(old: str, new: str) -> None:
    if (old, new) in _STATE['notified']:
        return
    _STATE['notified'].add((old, new))
    from mmengine.logging import print_log
    print_log(
        f'config {old!r} was renamed upstream; using its successor '
        f'{new!r}.',
        logger='current',
        level=logging.WARNING)


def _patched_get_cfg_path(original):

    def _get_cfg_path(cfg_path: str,
                      filename: str) -> Tuple[str, Optional[str]]:
        try:
            return original(cfg_path, filename)
        except FileNotFoundError:
            if '::' not in cfg_path:
                raise
            from mmengine.config.utils import _get_package_and_cfg_path
            scope = cfg_path.partition('::')[0]
            package, rel_path = _get_package_and_cfg_path(cfg_path)
            successor = find_successor(
                installed_path(package), package, rel_path)
            if successor is None:
                raise
            _notify(cfg_path, f'{scope}::{successor}')
            return original(f'{scope}::{successor}', filename)

    _get_cfg_path.__wrapped__ = original  # type: ignore
    return _get_cfg_path


def _patched_get_installed_path(original):

    def get_installed_path(package: str) -> str:
        return installed_path(package, original)

    get_installed_path.__wrapped__ = original  # type: ignore
    get_installed_path.__doc__ = original.__doc__
    return get_installed_path


def install_config_compat() -> None:
    """Patch MMEngine's config-prefix resolution (idempotent)."""
    if _STATE['installed']:
        return
    _STATE['installed'] = True
    from mmengine.config import config as mme_config
    from mmengine.utils import package_utils

    original = package_utils.get_installed_path
    if not hasattr(original, '__wrapped__'):
        patched = _patched_get_installed_path(original)
        package_utils.get_installed_path = patched
        for name in ('mmengine.utils', 'mmengine.config.config',
                     'mmengine.hub.hub'):
            module = sys.modules.get(name)
            if module is not None and getattr(module, 'get_installed_path',
                                              None) is original:
                module.get_installed_path = patched

    get_cfg_path = mme_config.Config.__dict__['_get_cfg_path'].__func__
    if not hasattr(get_cfg_path, '__wrapped__'):
        mme_config.Config._get_cfg_path = staticmethod(
            _patched_get_cfg_path(get_cfg_path))


__all__ = [
    'install_config_compat', 'installed_path', 'find_successor',
    'RENAMED_CONFIGS'
]
