# Copyright (c) OpenMMLab. All rights reserved.
"""A tiny OpenMMLab-style classifier for quantization tests."""
from typing import Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmrazor.registry import MODELS


class ToyQuantHead(nn.Module):
    """Linear head with (untraceable) loss and post-processing."""

    def __init__(self, in_channels: int = 8, num_classes: int = 3):
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)

    def get_loss(self, logits: torch.Tensor, data_samples: List) -> Dict:
        labels = torch.stack([
            torch.as_tensor(d.gt_label).reshape(()) for d in data_samples
        ]).to(logits.device)
        return dict(loss=F.cross_entropy(logits, labels))

    def get_predictions(self, logits: torch.Tensor,
                        data_samples: List) -> List:
        for d, score in zip(data_samples, logits):
            d.pred_label = score.argmax()
        return data_samples


@MODELS.register_module()
class ToyQuantClassifier(BaseModel):
    """conv-bn-relu x2 + mean + linear head, dispatching on ``mode``."""

    def __init__(self, num_classes: int = 3, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.head = ToyQuantHead(8, num_classes)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = self.relu(self.bn1(self.conv1(inputs)))
        x = self.relu(self.bn2(self.conv2(x)))
        logits = self.head(x.mean((2, 3)))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return self.head.get_loss(logits, data_samples)
        return self.head.get_predictions(logits, data_samples)


TOY_SKIPPED_METHODS = [
    'mmrazor.testing._quant_toys.ToyQuantHead.get_loss',
    'mmrazor.testing._quant_toys.ToyQuantHead.get_predictions'
]


def toy_global_qconfig(lsq: bool = False,
                       a_dtype: str = 'quint8',
                       a_symmetry: bool = False) -> Dict:
    """A W8A8 (per-channel weights) ``global_qconfig``; LSQ if ``lsq``.

    Args:
        lsq (bool): LSQ observers and ``LearnableFakeQuantize``.
        a_dtype (str): Activation dtype, ``'quint8'`` or ``'qint8'``.
        a_symmetry (bool): Symmetric activation quantization.
    """
    if lsq:
        w_obs, a_obs = 'LSQPerChannelObserver', 'LSQObserver'
        fake_quant = 'LearnableFakeQuantize'
    else:
        w_obs, a_obs = 'PerChannelMinMaxObserver', 'MinMaxObserver'
        fake_quant = 'FakeQuantize'
    return dict(
        w_observer=dict(type=f'mmrazor.{w_obs}'),
        a_observer=dict(type=f'mmrazor.{a_obs}'),
        w_fake_quant=dict(type=f'mmrazor.{fake_quant}'),
        a_fake_quant=dict(type=f'mmrazor.{fake_quant}'),
        w_qscheme=dict(
            qdtype='qint8', bit=8, is_symmetry=True, is_symmetric_range=True),
        a_qscheme=dict(qdtype=a_dtype, bit=8, is_symmetry=a_symmetry))


def toy_quant_model_cfg(lsq: bool = False) -> Dict:
    """An ``MMArchitectureQuant`` config around the toy classifier."""
    return dict(
        type='mmrazor.MMArchitectureQuant',
        architecture=dict(type='mmrazor.ToyQuantClassifier'),
        input_shapes=(1, 1, 8, 8),
        quantizer=dict(
            type='mmrazor.OpenVINOQuantizer',
            global_qconfig=toy_global_qconfig(lsq),
            tracer=dict(
                type='mmrazor.CustomTracer',
                skipped_methods=TOY_SKIPPED_METHODS)))
