# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np

from mmrazor.registry import TASK_UTILS
from .base_handler import BaseHandler


@TASK_UTILS.register_module()
class CartsHandler(BaseHandler):
    """Bagged CART regression trees (scikit-learn ``DecisionTreeRegressor``).

    Args:
        num_trees (int): Number of trees. Defaults to 1000.
        seed (int): Random seed of the bootstrap. Defaults to 0.
    """

    def __init__(self, num_trees: int = 1000, seed: int = 0) -> None:
        if num_trees < 1:
            raise ValueError(f'num_trees must be >= 1, got {num_trees}')
        self.num_trees = num_trees
        self.seed = seed
        self.trees = []

    def fit(self, train_data: np.ndarray, train_label: np.ndarray) -> None:
        """Fit every tree on a bootstrap sample."""
        from sklearn.tree import DecisionTreeRegressor
        rng = np.random.RandomState(self.seed)
        n = len(train_data)
        self.trees = []
        for _ in range(self.num_trees):
            idx = rng.randint(0, n, n)
            tree = DecisionTreeRegressor(random_state=rng.randint(1 << 30))
            tree.fit(train_data[idx], train_label[idx])
            self.trees.append(tree)

    def predict(self, test_data: np.ndarray) -> np.ndarray:
        """Mean prediction of the trees."""
        if not self.trees:
            raise RuntimeError('CartsHandler is not fitted')
        return np.mean([t.predict(test_data) for t in self.trees], axis=0)
