# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any, Dict, List, Optional, Union

import numpy as np
import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .handler import BaseHandler, RBFHandler


@TASK_UTILS.register_module()
class MetricPredictor:
    """Predicts the score of a subnet from its encoding, so that the
    evolution search can skip evaluating candidates.

    Args:
        handler_cfg (dict): Config of the handler (e.g.
            ``dict(type='mmrazor.GaussProcessHandler')``).
        search_groups (dict): The mutator's search groups; they define the
            encoding.
        train_samples (int): Number of evaluated subnets to fit on.
            Defaults to 2.
        handler_ckpt (str, optional): A saved handler to load instead of
            fitting. Defaults to None.
        encoding_type (str): ``'onehot'`` or ``'normal'`` (choice indices).
            Defaults to ``'onehot'``.
        score_key (str): Key of the predicted score. Defaults to
            ``'accuracy_top-1'``.
    """

    def __init__(self,
                 handler_cfg: Dict,
                 search_groups: Dict,
                 train_samples: int = 2,
                 handler_ckpt: Optional[str] = None,
                 encoding_type: str = 'onehot',
                 score_key: str = 'accuracy_top-1') -> None:
        self.handler: BaseHandler = TASK_UTILS.build(handler_cfg)
        if encoding_type not in ('onehot', 'normal'):
            raise ValueError('encoding_type must be onehot or normal, got '
                             f'{encoding_type!r}')
        if isinstance(self.handler, RBFHandler) and encoding_type != 'normal':
            encoding_type = 'normal'  # RBF interpolates ordinal codes
        self.encoding_type = encoding_type
        self.search_groups = search_groups
        self.train_samples = train_samples
        self.handler_ckpt = handler_ckpt
        self.score_key = score_key
        self.initialize = False
        self.choices = {
            key: self._group_choices(key, mutables[0])
            for key, mutables in search_groups.items()
        }

    @staticmethod
    def _group_choices(key: Any, mutable: Any) -> List[Any]:
        """The choices of a search group: ``mutable.choices``, or the
        ``candidate_choices`` of a channel unit (NasMutator channel
        groups)."""
        choices = getattr(mutable, 'choices', None)
        if choices is None:
            choices = getattr(mutable, 'candidate_choices', None)
        if choices is None:
            raise TypeError(f'Search group {key!r} ({type(mutable).__name__})'
                            ' has no `choices` or `candidate_choices` to '
                            'encode')
        return list(choices)

    def model2vector(self, choices: Dict[Any, Any]) -> np.ndarray:
        """Encode a subnet ``{group_key: choice}``.

        Args:
            choices (dict): The subnet.

        Returns:
            np.ndarray: One-hot blocks or choice indices.
        """
        vector: List[float] = []
        for key, options in self.choices.items():
            if key not in choices:
                raise KeyError(f'Subnet lacks group {key!r}; expected '
                               f'{list(self.choices)}')
            idx = options.index(choices[key])
            if self.encoding_type == 'onehot':
                onehot = [0.] * len(options)
                onehot[idx] = 1.
                vector.extend(onehot)
            else:
                vector.append(float(idx))
        return np.asarray(vector, dtype=np.float64)

    def vector2model(self, vector: np.ndarray) -> Dict[Any, Any]:
        """Decode an encoding back into a subnet."""
        choices, start = dict(), 0
        for key, options in self.choices.items():
            if self.encoding_type == 'onehot':
                block = vector[start:start + len(options)]
                choices[key] = options[int(np.argmax(block))]
                start += len(options)
            else:
                choices[key] = options[int(round(float(vector[start])))]
                start += 1
        return choices

    def _encode(self, data: Union[np.ndarray, List]) -> np.ndarray:
        if isinstance(data, np.ndarray):
            return data.astype(np.float64)
        return np.stack([
            self.model2vector(d) if isinstance(d, dict) else np.asarray(d)
            for d in data
        ])

    def fit(self, data: Union[np.ndarray, List], labels: Any) -> None:
        """Fit the handler on subnets (dicts or encodings) and scores."""
        x = self._encode(data)
        y = np.asarray(labels, dtype=np.float64).reshape(-1)
        if len(x) != len(y):
            raise ValueError(f'{len(x)} subnets but {len(y)} labels')
        self.handler.fit(x, y)
        self.initialize = True

    def predict(self, model: Union[nn.Module, Dict]) -> Dict[str, float]:
        """Predict the score of the model's current subnet (or of a subnet
        dict).

        Returns:
            dict: ``{score_key: value}``.
        """
        if not self.initialize:
            raise RuntimeError('The predictor is not fitted or loaded')
        if isinstance(model, dict):
            choices = model
        else:
            choices = model.mutator.current_choices
        pred = self.handler.predict(self.model2vector(choices)[None])
        return {self.score_key: float(np.asarray(pred).reshape(-1)[0])}

    def save_checkpoint(self, path: str) -> str:
        """Save the handler (``{path}_{HandlerClass}.joblib``)."""
        return self.handler.save(path)

    def load_checkpoint(self, path: Optional[str] = None) -> None:
        """Load the handler from ``path`` or ``handler_ckpt``."""
        path = path or self.handler_ckpt
        if path is None:
            raise ValueError('No predictor checkpoint given')
        self.handler.load(path)
        self.initialize = True

    @staticmethod
    def get_correlation(prediction: np.ndarray,
                        label: np.ndarray) -> List[float]:
        """``[rmse, spearman_rho, kendall_tau]`` of predictions."""
        from scipy import stats
        prediction = np.asarray(prediction, dtype=np.float64)
        label = np.asarray(label, dtype=np.float64)
        rmse = float(np.sqrt(((prediction - label)**2).mean()))
        rho = float(stats.spearmanr(prediction, label)[0])
        tau = float(stats.kendalltau(prediction, label)[0])
        return [rmse, rho, tau]
