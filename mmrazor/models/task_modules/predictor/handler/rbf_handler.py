# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np

from mmrazor.registry import TASK_UTILS
from .base_handler import BaseHandler

_KERNELS = {
    'tps': 'thin_plate_spline',
    'cubic': 'cubic',
    'linear': 'linear',
    'gaussian': 'gaussian'
}
_TAILS = {'linear': 1, 'constant': 0}


@TASK_UTILS.register_module()
class RBFHandler(BaseHandler):
    """Radial basis function interpolation (scipy ``RBFInterpolator``),
    replacing pySOT's RBF. Needs ``encoding_type='normal'``.

    Args:
        kernel (str): ``'tps'``, ``'cubic'``, ``'linear'`` or
            ``'gaussian'``. Defaults to ``'tps'``.
        tail (str): Polynomial tail, ``'linear'`` or ``'constant'``.
            Defaults to ``'linear'``.
        smoothing (float): Smoothing of the interpolant. Defaults to 1e-3.
    """

    def __init__(self,
                 kernel: str = 'tps',
                 tail: str = 'linear',
                 smoothing: float = 1e-3) -> None:
        if kernel not in _KERNELS:
            raise ValueError(f'kernel must be one of {list(_KERNELS)}, got '
                             f'{kernel!r}')
        if tail not in _TAILS:
            raise ValueError(f'tail must be one of {list(_TAILS)}, got '
                             f'{tail!r}')
        self.kernel = kernel
        self.tail = tail
        self.smoothing = smoothing
        self.model = None

    def fit(self, train_data: np.ndarray, train_label: np.ndarray) -> None:
        """Fit the interpolant."""
        from scipy.interpolate import RBFInterpolator
        kwargs = dict(
            kernel=_KERNELS[self.kernel],
            degree=_TAILS[self.tail],
            smoothing=self.smoothing)
        if self.kernel == 'gaussian':
            kwargs['epsilon'] = 1.0
        self.model = RBFInterpolator(
            np.asarray(train_data, dtype=np.float64),
            np.asarray(train_label, dtype=np.float64), **kwargs)

    def predict(self, test_data: np.ndarray) -> np.ndarray:
        """Evaluate the interpolant."""
        if self.model is None:
            raise RuntimeError('RBFHandler is not fitted')
        return self.model(np.asarray(test_data, dtype=np.float64))
