# Copyright (c) OpenMMLab. All rights reserved.
"""Linear classification head with the auxiliary classifier of DARTS."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmrazor.registry import MODELS


def _build_cls_loss(cfg: Union[Dict, nn.Module], key: str) -> nn.Module:
    """Build a classification loss; unscoped types are looked up in the
    ``mmcls`` scope (served by mmpretrain), as a mmcls head would."""
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'DartsSubnetClsHead: {key} must be a loss config '
                        f'dict with a `type` or a module, got {cfg!r}')
    cfg = copy.deepcopy(dict(cfg))
    if isinstance(cfg['type'], str) and '.' not in cfg['type']:
        cfg.setdefault('_scope_', 'mmcls')
    return MODELS.build(cfg)


@MODELS.register_module()
class DartsSubnetClsHead(BaseModule):
    """The classification head of a retrained DARTS subnet: a linear
    classifier on the last feature plus, in training, an auxiliary linear
    classifier (``aux_linear``) on the first feature (the auxiliary tower of
    :class:`DartsBackbone` with ``auxliary=True``), whose loss is added as
    ``loss_aux``. It behaves as mmcls' ``LinearClsHead`` otherwise (same
    ``fc`` parameters, ``loss``/``predict`` API).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the last feature.
        aux_in_channels (int, optional): Channels of the auxiliary feature.
            Defaults to None (no auxiliary classifier).
        loss (dict): Config of the main loss. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        aux_loss (dict): Config of the auxiliary loss; its ``loss_weight``
            is the auxiliary weight (0.4 in DARTS). Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=0.5)``.
        topk (int | Sequence[int]): Top-k accuracies logged in training
            when ``cal_acc``. Defaults to ``(1, )``.
        cal_acc (bool): Log the training accuracy. Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to a
            normal init of the linear layers (std 0.01).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        aux_in_channels: Optional[int] = None,
        loss: Dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
        aux_loss: Dict = dict(type='CrossEntropyLoss', loss_weight=0.5),
        topk: Union[int, Sequence[int]] = (1, ),
        cal_acc: bool = False,
        init_cfg: Optional[Dict] = dict(
            type='Normal', layer='Linear', std=0.01)
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError('DartsSubnetClsHead: num_classes must be '
                             f'positive, got {num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.aux_in_channels = aux_in_channels
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        self.cal_acc = cal_acc
        self.loss_module = _build_cls_loss(loss, 'loss')
        self.fc = nn.Linear(in_channels, num_classes)
        if aux_in_channels is not None:
            self.aux_loss_module = _build_cls_loss(aux_loss, 'aux_loss')
            self.aux_linear = nn.Linear(aux_in_channels, num_classes)

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The last feature."""
        return feats[-1]

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Logits of the main classifier."""
        return self.fc(self.pre_logits(feats))

    @staticmethod
    def _targets(data_samples: List) -> Tensor:
        if not data_samples:
            raise ValueError('DartsSubnetClsHead.loss needs data samples '
                             'with `gt_label`')
        if 'gt_score' in data_samples[0]:
            return torch.stack([s.gt_score for s in data_samples])
        return torch.cat([s.gt_label for s in data_samples])

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List,
             **kwargs) -> Dict[str, Tensor]:
        """Main loss, ``loss_aux`` when the auxiliary feature is present
        (training with the auxiliary tower) and the training accuracy when
        ``cal_acc``.

        Args:
            feats (tuple[Tensor]): Neck outputs; ``feats[0]`` is the
                auxiliary feature when there is more than one.
            data_samples (list): Samples with ``gt_label``/``gt_score``.

        Returns:
            dict[str, Tensor]: The losses.
        """
        cls_score = self(feats)
        target = self._targets(data_samples)
        losses = dict()
        losses['loss'] = self.loss_module(
            cls_score, target, avg_factor=cls_score.size(0), **kwargs)
        if self.aux_in_channels is not None and len(feats) > 1:
            aux_score = self.aux_linear(feats[0])
            losses['loss_aux'] = self.aux_loss_module(
                aux_score, target, avg_factor=aux_score.size(0), **kwargs)
        if self.cal_acc:
            if target.dim() != 1:
                raise ValueError('DartsSubnetClsHead: cal_acc needs hard '
                                 'labels (no batch augments)')
            maxk = min(max(self.topk), cls_score.size(1))
            pred = cls_score.topk(maxk, dim=1).indices
            correct = pred.eq(target[:, None])
            for k in self.topk:
                acc = correct[:, :min(k, maxk)].any(dim=1).float().mean()
                losses[f'accuracy_top-{k}'] = acc * 100.0
        return losses

    def predict(self,
                feats: Tuple[Tensor, ...],
                data_samples: Optional[List] = None) -> List:
        """Scores and labels of the main classifier.

        Args:
            feats (tuple[Tensor]): Neck outputs.
            data_samples (list, optional): Samples to fill; new ones are
                created when None.

        Returns:
            list: data samples with ``pred_score`` and ``pred_label``.
        """
        from mmrazor.utils import mmcls_compat
        cls_score = self(feats)
        scores = F.softmax(cls_score, dim=1)
        labels = scores.argmax(dim=1, keepdim=True).detach()
        out = []
        for i in range(scores.size(0)):
            sample = data_samples[i] if data_samples is not None and \
                data_samples[i] is not None else \
                mmcls_compat.ClsDataSample()
            sample.set_pred_score(scores[i]).set_pred_label(labels[i])
            out.append(sample)
        return out
