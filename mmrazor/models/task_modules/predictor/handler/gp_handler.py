# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np

from mmrazor.registry import TASK_UTILS
from .base_handler import BaseHandler


@TASK_UTILS.register_module()
class GaussProcessHandler(BaseHandler):
    """Gaussian-process regression (scikit-learn), replacing the DACE model
    of pydacefit.

    Args:
        regr (str): Trend of the GP: ``'constant'`` or ``'linear'`` (a
            linear ``DotProduct`` kernel is added). Defaults to
            ``'linear'``.
        corr (str): Correlation kernel: ``'gauss'`` (RBF) or ``'exp'``
            (Matern 0.5). Defaults to ``'gauss'``.
    """

    def __init__(self, regr: str = 'linear', corr: str = 'gauss') -> None:
        if regr not in ('constant', 'linear'):
            raise ValueError(f'regr must be constant or linear, got {regr}')
        if corr not in ('gauss', 'exp'):
            raise ValueError(f'corr must be gauss or exp, got {corr}')
        self.regr = regr
        self.corr = corr
        self.model = None

    def fit(self, train_data: np.ndarray, train_label: np.ndarray) -> None:
        """Fit the GP (normalised targets, optimised hyper-parameters)."""
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import (RBF, ConstantKernel,
                                                      DotProduct, Matern,
                                                      WhiteKernel)
        corr = RBF() if self.corr == 'gauss' else Matern(nu=0.5)
        kernel = ConstantKernel() * corr + WhiteKernel(1e-3)
        if self.regr == 'linear':
            kernel = kernel + DotProduct()
        self.model = GaussianProcessRegressor(
            kernel=kernel, normalize_y=True, random_state=0)
        self.model.fit(train_data, train_label)

    def predict(self, test_data: np.ndarray) -> np.ndarray:
        """Posterior mean."""
        if self.model is None:
            raise RuntimeError('GaussProcessHandler is not fitted')
        return self.model.predict(test_data)
