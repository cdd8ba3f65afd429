# Copyright (c) OpenMMLab. All rights reserved.
"""Run MMRazor 1.x's ``mmcls`` configs on mmpretrain.

mmcls 1.x asserts ``mmcv < 2.1.0`` and cannot be installed beside the mmcv
that mmdet and mmseg need; mmpretrain is its maintained successor with the
same config tree and class names. When the real ``mmcls`` is *not*
importable, :func:`install_mmcls_compat` makes

* the ``mmcls::`` config prefix resolve to mmpretrain's shipped configs
  (``_base_ = ['mmcls::resnet/resnet18_8xb32_in1k.py']``,
  ``cfg_path='mmcls::...'``);
* the ``mmcls`` scope (``default_scope='mmcls'``, ``_scope_='mmcls'``,
  ``type='mmcls.ImageClassifier'``) resolve to mmpretrain's registries;
* mmcls-only names (``PackClsInputs``, ``ClsVisualizer``) map to their
  mmpretrain successors, and :data:`ClsDataSample` is mmpretrain's
  ``DataSample``.

When a real mmcls is installed, nothing is changed and it is used as is.
"""
import importlib
import importlib.util
import os
import sys
import types
from typing import Any, Dict, Optional, Tuple

from mmengine import registry as mme_registry
from mmengine.registry import DefaultScope, Registry

#: mmcls-only registered names and their mmpretrain successors.
MMCLS_RENAMES: Dict[str, Dict[str, str]] = {
    'transform': {
        'PackClsInputs': 'PackInputs'
    },
    'visualizer': {
        'ClsVisualizer': 'UniversalVisualizer'
    },
}

_STATE: Dict[str, Any] = {'installed': False, 'aliases': {}}


def real_mmcls_available() -> bool:
    """Whether the real ``mmcls`` package is importable."""
    if 'mmcls' in sys.modules:
        return True
    try:
        return importlib.util.find_spec('mmcls') is not None
    except (ImportError, ValueError):
        return False


def mmpretrain_available() -> bool:
    """Whether ``mmpretrain`` is importable."""
    try:
        return importlib.util.find_spec('mmpretrain') is not None
    except (ImportError, ValueError):
        return False


def compat_active() -> bool:
    """Whether ``mmcls`` names are served by mmpretrain in this process."""
    return _STATE['installed']


def map_package(package: str) -> str:
    """The package that serves a ``package::`` prefix or a scope.

    Args:
        package (str): e.g. ``'mmcls'``.

    Returns:
        str: ``'mmpretrain'`` for ``'mmcls'`` when the compatibility layer is
        active, else ``package`` unchanged.
    """
    if package == 'mmcls' and compat_active():
        return 'mmpretrain'
    return package


def _mmpretrain_child(root: Registry) -> Registry:
    """mmpretrain's child of ``root`` (imports mmpretrain.registry)."""
    importlib.import_module('mmpretrain.registry')
    target = root.children.get('mmpretrain')
    if target is None:
        return root
    _register_renames(target)
    return target


def _register_renames(target: Registry) -> None:
    renames = MMCLS_RENAMES.get(target.name, {})
    for old, new in renames.items():
        if old in target.module_dict:
            continue

        def _successor(*args, _new=new, _target=target, **kwargs):
            return _target.get(_new)(*args, **kwargs)

        _successor.__name__ = old
        _successor.__doc__ = (f'mmcls name {old!r}, built as mmpretrain\'s '
                              f'{new!r}.')
        target.register_module(name=old, module=_successor)


class MMClsAliasRegistry(Registry):
    """The ``mmcls`` scope of one MMEngine root registry, served lazily by
    mmpretrain's registry of the same kind.

    Args:
        root (Registry): The MMEngine root registry (e.g. ``MODELS``).
    """

    def __init__(self, root: Registry):
        super().__init__(root.name, parent=root, scope='mmcls')
        self.build_func = root.build_func
        self._target: Optional[Registry] = None

    @property
    def target(self) -> Registry:
        """mmpretrain's registry that serves this alias."""
        if self._target is None:
            self._target = _mmpretrain_child(self.parent)
            if self._target is not self.parent:
                self.build_func = self._target.build_func
        return self._target

    def import_from_location(self) -> None:
        self.target.import_from_location()
        self._imported = True

    @property
    def module_dict(self):
        # Listing the modules must not import mmpretrain: MMEngine walks
        # every registry (e.g. `is_model_wrapper`) while iterating over the
        # registry tree, and importing mmpretrain adds children to it.
        # Until the alias is first used, list mmpretrain's child only if it
        # already exists, without importing or registering anything.
        if self._target is None:
            child = self.parent.children.get('mmpretrain')
            return {} if child is None else child.module_dict
        return self._target.module_dict

    def get(self, key: str):
        scope, real_key = self.split_scope_key(key)
        if scope is None or scope == 'mmcls':
            renamed = MMCLS_RENAMES.get(self.name, {}).get(real_key)
            target = self.target
            if renamed is not None and real_key not in target.module_dict:
                real_key = renamed
            return target.get(real_key)
        return super().get(key)

    def __contains__(self, key):
        return self.get(key) is not None

    def __len__(self):
        return len(self.target)


def _patched_get_package_and_cfg_path(original):

    def _get_package_and_cfg_path(cfg_path: str) -> Tuple[str, str]:
        package, path = original(cfg_path)
        if package == 'mmcls' and compat_active():
            if not mmpretrain_available():
                raise ModuleNotFoundError(
                    f'The config {cfg_path!r} needs mmcls or its successor '
                    'mmpretrain: `pip install mmpretrain` (mmcls 1.x cannot '
                    'be installed beside mmcv>=2.1).')
            return 'mmpretrain', path
        return package, path

    _get_package_and_cfg_path.__wrapped__ = original  # type: ignore
    return _get_package_and_cfg_path


def install_mmcls_compat() -> bool:
    """Install the mmcls-on-mmpretrain layer if the real mmcls is missing.

    Idempotent and cheap: mmpretrain is imported only when an ``mmcls`` name
    is first used.

    Returns:
        bool: Whether the layer is active.
    """
    if _STATE['installed']:
        return True
    if real_mmcls_available():
        return False
    _STATE['installed'] = True

    from mmengine.config import config as mme_config
    from mmengine.config import utils as mme_config_utils
    for module in (mme_config, mme_config_utils):
        fn = getattr(module, '_get_package_and_cfg_path', None)
        if fn is not None and not hasattr(fn, '__wrapped__'):
            module._get_package_and_cfg_path = \
                _patched_get_package_and_cfg_path(fn)
    hub = sys.modules.get('mmengine.hub.hub')
    if hub is not None and hasattr(hub, '_get_package_and_cfg_path'):
        hub._get_package_and_cfg_path = mme_config_utils.\
            _get_package_and_cfg_path

    fake = types.ModuleType('mmcls.registry')
    fake.__doc__ = ('mmcls registries served by mmpretrain '
                    '(mmrazor.utils.mmcls_compat).')
    for attr, root in vars(mme_registry).items():
        if isinstance(root, Registry) and root.parent is None and \
                'mmcls' not in root.children:
            alias = MMClsAliasRegistry(root)
            _STATE['aliases'][root.name] = alias
            setattr(fake, attr, alias)
    # MMEngine imports `<scope>.registry` before searching a scope.
    sys.modules.setdefault('mmcls.registry', fake)
    return True


def get_model(cfg_path: str, pretrained: bool = False, **kwargs) -> Any:
    """Build the model of an upstream config, like
    :func:`mmengine.hub.get_model`, without installing packages.

    Args:
        cfg_path (str): e.g. ``'mmcls::resnet/resnet18_8xb32_in1k.py'``.
        pretrained (bool): Load the weights named in the upstream metafile
            (needs network access). Defaults to False.
        **kwargs: Default arguments for the build.

    Returns:
        nn.Module: The built model.
    """
    from mmengine.config import Config
    from mmengine.config.utils import (MODULE2PACKAGE, _get_cfg_metainfo,
                                       _get_external_cfg_base_path)
    from mmengine.registry import MODELS
    from mmengine.utils import get_installed_path, is_installed

    if '::' not in cfg_path:
        raise ValueError(f'cfg_path={cfg_path!r} must look like '
                         '"mmcls::resnet/resnet18_8xb32_in1k.py"')
    scope, rel_path = cfg_path.split('::', 1)
    package = map_package(scope)
    pip_name = MODULE2PACKAGE.get(package, package)
    if not is_installed(pip_name) and not is_installed(package):
        raise ModuleNotFoundError(
            f'cfg_path={cfg_path!r} needs the package {pip_name!r}: '
            f'`pip install {pip_name}`.')
    package_path = get_installed_path(package)
    try:
        meta = _get_cfg_metainfo(package_path, rel_path)
        path = os.path.join(package_path, '.mim', meta['Config'])
    except (ValueError, KeyError):
        meta = {}
        path = _get_external_cfg_base_path(package_path, rel_path)
    cfg = Config.fromfile(path)
    model_cfg = cfg.model
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg.data_preprocessor = cfg.data_preprocessor
    importlib.import_module(f'{package}.registry')
    with DefaultScope.overwrite_default_scope(package):
        model = MODELS.build(model_cfg, default_args=kwargs or None)
    if pretrained:
        if 'Weights' not in meta:
            raise ValueError(f'{cfg_path!r} names no pretrained weights in '
                             f'the metafiles of {package}.')
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, meta['Weights'])
        model._is_init = True
    return model


def _data_sample_class():
    if real_mmcls_available():
        return importlib.import_module('mmcls.structures').ClsDataSample
    return importlib.import_module('mmpretrain.structures').DataSample


def __getattr__(name: str):
    # `ClsDataSample` resolves lazily: mmcls's if installed, else
    # mmpretrain's `DataSample`.
    if name == 'ClsDataSample':
        return _data_sample_class()
    raise AttributeError(name)


__all__ = [
    'install_mmcls_compat', 'real_mmcls_available', 'compat_active',
    'map_package', 'get_model', 'MMClsAliasRegistry', 'MMCLS_RENAMES'
]
