# Copyright (c) OpenMMLab. All rights reserved.
import datetime
import os
import platform
import warnings

from mmengine import DefaultScope


def setup_multi_processes(cfg) -> None:
    """Setup multi-processing environment variables.

    Sets the multiprocessing start method, disables OpenCV threading and
    limits OMP/MKL threads when several data workers are used, unless the
    user already set them.

    Args:
        cfg (Config): Reads ``mp_start_method``, ``opencv_num_threads`` and
            ``data.workers_per_gpu``/``train_dataloader.num_workers``.
    """
    import multiprocessing as mp
    if platform.system() != 'Windows':
        mp_start_method = cfg.get('mp_start_method', 'fork')
        current_method = mp.get_start_method(allow_none=True)
        if current_method is not None and current_method != mp_start_method:
            warnings.warn(
                f'Multi-processing start method `{mp_start_method}` is '
                f'different from the previous setting `{current_method}`.'
                f'It will be force set to `{mp_start_method}`. You can change '
                f'this behavior by changing `mp_start_method` in your config.')
        mp.set_start_method(mp_start_method, force=True)

    try:
        import cv2
        cv2.setNumThreads(cfg.get('opencv_num_threads', 0))
    except ImportError:
        pass

    workers = cfg.get('train_dataloader', {}).get('num_workers', None)
    if workers is None:
        workers = cfg.get('data', {}).get('workers_per_gpu', 1)
    if 'OMP_NUM_THREADS' not in os.environ and workers > 1:
        os.environ['OMP_NUM_THREADS'] = '1'
    if 'MKL_NUM_THREADS' not in os.environ and workers > 1:
        os.environ['MKL_NUM_THREADS'] = '1'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all modules in mmrazor into the registries.

    Args:
        init_default_scope (bool): Whether initialize the mmrazor default
            scope. When ``init_default_scope=True``, the global default scope
            will be set to ``mmrazor``, and all registries will build modules
            from mmrazor's registry node. Defaults to True.
    """
    import mmrazor.datasets  # noqa: F401,F403
    import mmrazor.engine  # noqa: F401,F403
    import mmrazor.implementations  # noqa: F401,F403
    import mmrazor.models.all_modules  # noqa: F401,F403
    import mmrazor.structures  # noqa: F401,F403
    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmrazor')
        if never_created:
            DefaultScope.get_instance('mmrazor', scope_name='mmrazor')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmrazor':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmrazor", '
                          '`register_all_modules` will force the current'
                          'default scope to be "mmrazor". If this is not '
                          'expected, please set `init_default_scope=False`.')
            # avoid name conflict
            new_instance_name = f'mmrazor-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmrazor')
