# Copyright (c) OpenMMLab. All rights reserved.
"""DeiT head with a distillation token (needs mmpretrain)."""
from typing import List, Tuple, Union

import torch
from mmpretrain.models.heads import VisionTransformerClsHead
from torch import nn

from mmrazor.registry import MODELS


@MODELS.register_module(force=True)
class DeiTClsHead(VisionTransformerClsHead):
    """Distilled vision-transformer head (`DeiT
    <https://arxiv.org/abs/2012.12877>`_) that can be trained.

    Beside ``layers.head`` on the class token it has ``layers.head_dist``
    on the distillation token. In training the head returns (and its loss
    uses) the class-token logits, while ``layers.head_dist`` still runs so
    that a distiller can record its output (the distillation-token logits)
    and match it to a teacher. In evaluation the score is the average of
    both logits.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Input channels.
        hidden_dim (int, optional): Dims of an extra hidden layer.
        **kwargs: Other ``VisionTransformerClsHead`` arguments.
    """

    def _init_layers(self) -> None:
        """Add ``head_dist`` to the layers of the ViT head."""
        super()._init_layers()
        dims = self.in_channels if self.hidden_dim is None \
            else self.hidden_dim
        self.layers.add_module('head_dist', nn.Linear(dims, self.num_classes))

    def pre_logits(
        self, feats: Tuple[Union[List[torch.Tensor], Tuple[torch.Tensor]]]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The (class, distillation) token features of the last stage.

        Args:
            feats (tuple): Backbone outputs; the last one is ``(cls_token,
                dist_token)`` or ``(patch_tokens, cls_token, dist_token)``.

        Returns:
            tuple[Tensor, Tensor]: The two token features.
        """
        feat = feats[-1]
        if not isinstance(feat, (list, tuple)) or len(feat) not in (2, 3):
            raise ValueError(
                f'{type(self).__name__} needs the class and distillation '
                'tokens from the backbone (e.g. a DistilledVisionTransformer '
                "with out_type='cls_token'); got "
                f'{type(feat).__name__} of length {len(feat)}' if isinstance(
                    feat, (list, tuple)) else
                f'{type(self).__name__} needs the class and distillation '
                f'tokens from the backbone, got a {type(feat).__name__}')
        cls_token, dist_token = feat[-2], feat[-1]
        if self.hidden_dim is not None:
            cls_token = self.layers.act(self.layers.pre_logits(cls_token))
            dist_token = self.layers.act(self.layers.pre_logits(dist_token))
        return cls_token, dist_token

    def forward(self, feats: Tuple) -> torch.Tensor:
        """Class-token logits in training, the average of both logits in
        evaluation."""
        cls_token, dist_token = self.pre_logits(feats)
        cls_score = self.layers.head(cls_token)
        dist_score = self.layers.head_dist(dist_token)
        if self.training:
            return cls_score
        return (cls_score + dist_score) / 2
