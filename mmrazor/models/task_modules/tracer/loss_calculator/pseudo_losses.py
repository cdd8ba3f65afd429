# Copyright (c) OpenMMLab. All rights reserved.
"""Pseudo losses: a scalar that depends on every output of a model, used
to trace or check a model with a random input."""
from typing import Any, Sequence

import torch
from torch import nn

from mmrazor.registry import TASK_UTILS


def sum_outputs(out: Any) -> torch.Tensor:
    """Sum of every tensor in a (nested) output."""
    if isinstance(out, torch.Tensor):
        return out.sum()
    if isinstance(out, (list, tuple)):
        return sum((sum_outputs(o) for o in out), torch.tensor(0.))
    if isinstance(out, dict):
        return sum((sum_outputs(o) for o in out.values()), torch.tensor(0.))
    return torch.tensor(0.)


class _PseudoLoss:

    def __init__(self, input_shape: Sequence[int] = (2, 3, 224, 224)):
        self.input_shape = tuple(input_shape)

    def _input(self, model: nn.Module) -> torch.Tensor:
        device = next(model.parameters()).device \
            if any(True for _ in model.parameters()) else 'cpu'
        return torch.rand(self.input_shape, device=device)


@TASK_UTILS.register_module()
class SumPseudoLoss(_PseudoLoss):
    """Sums every output tensor of ``model(x)`` (any ``nn.Module``)."""

    def __call__(self, model: nn.Module) -> torch.Tensor:
        return sum_outputs(model(self._input(model)))


@TASK_UTILS.register_module()
class ImageClassifierPseudoLoss(_PseudoLoss):
    """backbone -> neck -> head of an mmcls/mmpretrain ImageClassifier."""

    def __call__(self, model: nn.Module) -> torch.Tensor:
        x = model.backbone(self._input(model))
        if getattr(model, 'neck', None) is not None:
            x = model.neck(x)
        if getattr(model, 'head', None) is not None:
            x = model.head(x)
        return sum_outputs(x)


@TASK_UTILS.register_module()
class SingleStageDetectorPseudoLoss(_PseudoLoss):
    """backbone -> neck -> bbox_head of an mmdet single-stage detector."""

    def __call__(self, model: nn.Module) -> torch.Tensor:
        x = model.extract_feat(self._input(model))
        return sum_outputs(model.bbox_head(x))


@TASK_UTILS.register_module()
class TwoStageDetectorPseudoLoss(_PseudoLoss):
    """backbone -> neck -> rpn_head of an mmdet two-stage detector (the
    roi head needs proposals)."""

    def __call__(self, model: nn.Module) -> torch.Tensor:
        x = model.extract_feat(self._input(model))
        return sum_outputs(x) + sum_outputs(model.rpn_head(x))


@TASK_UTILS.register_module()
class CascadeEncoderDecoderPseudoLoss(_PseudoLoss):
    """backbone -> neck -> decode heads of an mmseg (cascade)
    encoder-decoder."""

    def __call__(self, model: nn.Module) -> torch.Tensor:
        x = model.extract_feat(self._input(model))
        heads = model.decode_head
        if isinstance(heads, nn.ModuleList):
            out = heads[0](x)
            for head in heads[1:]:
                out = head(x, out)
            return sum_outputs(out)
        return sum_outputs(heads(x))
