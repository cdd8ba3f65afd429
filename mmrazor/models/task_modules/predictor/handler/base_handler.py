# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp

import numpy as np


class BaseHandler:
    """Base class of the metric predictor handlers (regressors from subnet
    encodings to scores). Subclasses implement :meth:`fit` and
    :meth:`predict`; :meth:`save`/:meth:`load` use joblib."""

    def fit(self, train_data: np.ndarray, train_label: np.ndarray) -> None:
        """Train the handler.

        Args:
            train_data (np.ndarray): ``(N, D)`` subnet encodings.
            train_label (np.ndarray): ``(N, )`` scores.
        """
        raise NotImplementedError

    def predict(self, test_data: np.ndarray) -> np.ndarray:
        """Predict scores of ``(N, D)`` encodings; returns ``(N, )``."""
        raise NotImplementedError

    def save(self, path: str) -> str:
        """Save the handler to ``{path}_{classname}.joblib``.

        Returns:
            str: The file written.
        """
        import joblib
        save_path = f'{path}_{type(self).__name__}.joblib'
        from mmrazor.utils import atomic_write
        atomic_write(save_path, lambda tmp: joblib.dump(self, tmp))
        return save_path

    def load(self, path: str) -> 'BaseHandler':
        """Load a handler saved by :meth:`save` into ``self``."""
        import joblib
        if not osp.isfile(path):
            raise FileNotFoundError(f'Predictor checkpoint {path} not found')
        loaded = joblib.load(path)
        if not isinstance(loaded, type(self)):
            raise TypeError(f'{path} holds a {type(loaded).__name__}, '
                            f'expected {type(self).__name__}')
        self.__dict__.update(loaded.__dict__)
        return self
