# Copyright (c) OpenMMLab. All rights reserved.
import copy
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn as nn

from mmrazor.registry import TASK_UTILS
from .base_handler import BaseHandler


class MLP(nn.Module):
    """A small MLP regressor.

    Args:
        num_classes (int): Output size. Defaults to 1.
        in_channels (int): Input size. Defaults to 30.
        mid_channels (int): Hidden size. Defaults to 400.
        num_layers (int): Hidden layers. Defaults to 3.
        drop_ratio (float): Dropout before the output. Defaults to 0.
    """

    def __init__(self,
                 num_classes: int = 1,
                 in_channels: int = 30,
                 mid_channels: int = 400,
                 num_layers: int = 3,
                 drop_ratio: float = 0.) -> None:
        super().__init__()
        layers = []
        c = in_channels
        for _ in range(num_layers):
            layers += [nn.Linear(c, mid_channels), nn.ReLU()]
            c = mid_channels
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(drop_ratio)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Regress ``x``."""
        return self.fc(self.dropout(self.body(x)))


@TASK_UTILS.register_module()
class MLPHandler(BaseHandler):
    """MLP regressor trained with Adam (torch); the epoch with the best
    validation RMSE is kept.

    Args:
        epochs (int): Training epochs. Defaults to 100.
        data_split_ratio (float): Train share; the rest validates.
            Defaults to 0.8.
        model_cfg (dict, optional): ``MLP`` arguments.
        device (str): Device. Defaults to ``'cpu'``.
        lr (float): Learning rate. Defaults to 8e-4.
    """

    def __init__(self,
                 epochs: int = 100,
                 data_split_ratio: float = 0.8,
                 model_cfg: Optional[Dict] = None,
                 device: str = 'cpu',
                 lr: float = 8e-4) -> None:
        if not 0 < data_split_ratio <= 1:
            raise ValueError('data_split_ratio must be in (0, 1], got '
                             f'{data_split_ratio}')
        self.epochs = epochs
        self.data_split_ratio = data_split_ratio
        self.model_cfg = dict(model_cfg or {})
        self.device = device
        self.lr = lr
        self.model = None

    def fit(self, train_data: np.ndarray, train_label: np.ndarray) -> None:
        """Train the MLP."""
        torch.manual_seed(0)
        x = torch.as_tensor(train_data, dtype=torch.float32)
        y = torch.as_tensor(train_label, dtype=torch.float32)[:, None]
        cfg = dict(self.model_cfg)
        cfg.setdefault('in_channels', x.shape[1])
        model = MLP(**cfg).to(self.device)
        n_train = max(1, int(len(x) * self.data_split_ratio))
        perm = torch.randperm(len(x))
        tr, va = perm[:n_train], perm[n_train:]
        if len(va) == 0:
            va = tr
        x, y = x.to(self.device), y.to(self.device)
        self.mean = float(y[tr].mean())
        self.std = float(y[tr].std()) if len(tr) > 1 else 1.0
        self.std = self.std or 1.0
        yn = (y - self.mean) / self.std
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        best, best_state = float('inf'), None
        for _ in range(self.epochs):
            model.train()
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x[tr]), yn[tr])
            loss.backward()
            opt.step()
            model.eval()
            with torch.no_grad():
                val = nn.functional.mse_loss(model(x[va]), yn[va]).item()
            if val < best:
                best, best_state = val, copy.deepcopy(model.state_dict())
        model.load_state_dict(best_state)
        self.model = model.cpu()

    def predict(self, test_data: np.ndarray) -> np.ndarray:
        """Predict scores."""
        if self.model is None:
            raise RuntimeError('MLPHandler is not fitted')
        self.model.eval()
        with torch.no_grad():
            out = self.model(torch.as_tensor(test_data, dtype=torch.float32))
        return out[:, 0].numpy() * self.std + self.mean
