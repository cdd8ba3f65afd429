# Copyright (c) OpenMMLab. All rights reserved.
"""The AutoFormer vision-transformer supernet."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from mmrazor.models.architectures.dynamic_ops import (
    DynamicLinear, DynamicMultiheadAttention, DynamicPatchEmbed,
    DynamicSequential)
from mmrazor.models.mutables import (BaseMutable, MutableChannelContainer,
                                     OneShotMutableChannel,
                                     OneShotMutableValue)
from mmrazor.registry import MODELS

_ARCH_KEYS = ('mlp_ratios', 'num_heads', 'depth', 'embed_dims')


class TransformerEncoderLayer(BaseModule):
    """A pre-norm transformer block of the AutoFormer supernet.

    ``x + attn(norm1(x))`` then ``x + fc2(act(fc1(norm2(x))))``, with
    dynamic layer norms, a :class:`DynamicMultiheadAttention` and dynamic
    linear layers; :meth:`register_mutables` wires the search space.

    Args:
        embed_dims (int): Max embedding dims.
        num_heads (int): Max number of heads.
        mlp_ratio (float): Max ratio of the hidden dims of the MLP.
        drop_rate (float): Dropout after the attention and the MLP.
        attn_drop_rate (float): Dropout of the attention weights.
        drop_path_rate (float): Stochastic depth rate.
        relative_position (bool): Relative positions in the attention.
        max_relative_position (int): Their clipping distance.
        qkv_bias (bool): Bias of the q/k/v projections.
        act_cfg (dict): Activation of the MLP.
        norm_cfg (dict): The norm layers (dynamic).
        head_dims (int): Dims of one head.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 relative_position: bool = True,
                 max_relative_position: int = 14,
                 qkv_bias: bool = True,
                 act_cfg: Dict = dict(type='GELU'),
                 norm_cfg: Dict = dict(type='mmrazor.DynamicLayerNorm'),
                 head_dims: int = 64,
                 init_cfg: Optional[Dict] = None) -> None:
        from mmcv.cnn import build_activation_layer, build_norm_layer
        from mmcv.cnn.bricks.drop import DropPath
        super().__init__(init_cfg=init_cfg)
        self.norm1_name, norm1 = build_norm_layer(
            norm_cfg, embed_dims, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.attn = DynamicMultiheadAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop_rate=attn_drop_rate,
            proj_drop_rate=drop_rate,
            relative_position=relative_position,
            max_relative_position=max_relative_position,
            qkv_bias=qkv_bias,
            head_dims=head_dims)
        self.norm2_name, norm2 = build_norm_layer(
            norm_cfg, embed_dims, postfix=2)
        self.add_module(self.norm2_name, norm2)
        middle_channels = int(embed_dims * mlp_ratio)
        self.fc1 = DynamicLinear(embed_dims, middle_channels)
        self.fc2 = DynamicLinear(middle_channels, embed_dims)
        self.act = build_activation_layer(act_cfg)
        self.ffn_drop = nn.Dropout(drop_rate)
        self.drop_path = DropPath(drop_path_rate) \
            if drop_path_rate > 0 else nn.Identity()

    @property
    def norm1(self) -> nn.Module:
        """The norm before the attention."""
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        """The norm before the MLP."""
        return getattr(self, self.norm2_name)

    def register_mutables(self, mutable_num_heads: BaseMutable,
                          mutable_mlp_ratios: BaseMutable,
                          mutable_q_embed_dims: BaseMutable,
                          mutable_head_dims: BaseMutable,
                          mutable_embed_dims: BaseMutable) -> None:
        """Make the block follow the search space.

        Args:
            mutable_num_heads (BaseMutable): Number of heads (a value).
            mutable_mlp_ratios (BaseMutable): MLP ratio (a value).
            mutable_q_embed_dims (BaseMutable): ``head_dims * num_heads``
                (a derived mutable channel).
            mutable_head_dims (BaseMutable): Dims of one head (a channel).
            mutable_embed_dims (BaseMutable): Embedding dims (a channel).
        """
        # the num_heads mutable is first reached as attn.mutable_attrs
        self.attn.register_mutable_attr('num_heads', mutable_num_heads)
        self.mutable_mlp_ratios = mutable_mlp_ratios
        self.mutable_q_embed_dims = mutable_q_embed_dims
        self.middle_channels = mutable_embed_dims * mutable_mlp_ratios
        self.attn.register_mutable_attr('embed_dims', mutable_embed_dims)
        self.attn.register_mutable_attr('q_embed_dims', mutable_q_embed_dims)
        if self.attn.relative_position:
            self.attn.rel_pos_embed_k.register_mutable_attr(
                'head_dims', mutable_head_dims)
            self.attn.rel_pos_embed_v.register_mutable_attr(
                'head_dims', mutable_head_dims)
        register = MutableChannelContainer.register_mutable_channel_to_module
        register(self.norm1, mutable_embed_dims, True)
        register(self.norm2, mutable_embed_dims, True)
        register(self.fc1, mutable_embed_dims, False)
        register(self.fc1, self.middle_channels, True)
        register(self.fc2, self.middle_channels, False)
        register(self.fc2, mutable_embed_dims, True)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        y = self.ffn_drop(self.act(self.fc1(self.norm2(x))))
        return x + self.drop_path(self.ffn_drop(self.fc2(y)))


@MODELS.register_module()
class AutoformerBackbone(BaseModule):
    """The AutoFormer ViT supernet (`AutoFormer: Searching Transformers for
    Visual Recognition <https://arxiv.org/abs/2107.00651>`_).

    Search space (``arch_setting``): the embedding dims (one for the whole
    network), the depth, and per block the number of heads and the MLP
    ratio. Subnets use the leading dims, heads and blocks of the supernet.
    The mutables are found by their module paths (no alias), as in the
    published subnet files:

    * ``backbone.mutable_embed_dims`` (:class:`OneShotMutableChannel`);
    * ``backbone.mutable_depth`` (:class:`OneShotMutableValue`);
    * ``backbone.base_embed_dims``: the dims of one head (single choice);
    * ``backbone.blocks.{i}.attn.mutable_attrs.num_heads`` and
      ``backbone.blocks.{i}.mutable_mlp_ratios`` (values);
    * derived: ``backbone.blocks.{i}.mutable_q_embed_dims`` (heads x head
      dims) and ``backbone.blocks.{i}.middle_channels`` (embed dims x
      ratio).

    The output is the mean of the patch tokens after the final norm.

    Args:
        arch_setting (dict): ``mlp_ratios``, ``num_heads``, ``depth`` and
            ``embed_dims``: the candidate values of each.
        img_size (int): Input size. Defaults to 224.
        patch_size (int): Patch size. Defaults to 16.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout rate. Defaults to 0.
        drop_path_rate (float): Max stochastic depth rate (linear in the
            depth). Defaults to 0.1.
        qkv_bias (bool): Bias of the q/k/v projections. Defaults to True.
        relative_position (bool): Relative positions in the attention.
            Defaults to True.
        max_relative_position (int): Their clipping distance.
            Defaults to 14.
        head_dims (int): Dims of one head. Defaults to 64.
        conv_cfg (dict, optional): Overrides of the patch projection conv.
        norm_cfg (dict): The norm layers. Defaults to
            ``dict(type='mmrazor.DynamicLayerNorm')``.
        act_cfg (dict): The MLP activation. Defaults to GELU.
        use_final_norm (bool): Norm after the last block. Defaults to True.
        init_cfg (dict, optional): Initialization config; defaults to
            truncated-normal linear layers (std 0.02).
    """

    def __init__(
        self,
        arch_setting: Dict = dict(
            mlp_ratios=[3.0, 3.5, 4.0],
            num_heads=[8, 9, 10],
            depth=[14, 15, 16],
            embed_dims=[528, 576, 624]),
        img_size: int = 224,
        patch_size: int = 16,
        in_channels: int = 3,
        drop_rate: float = 0.,
        drop_path_rate: float = 0.1,
        qkv_bias: bool = True,
        relative_position: bool = True,
        max_relative_position: int = 14,
        head_dims: int = 64,
        conv_cfg: Optional[Dict] = None,
        norm_cfg: Dict = dict(type='mmrazor.DynamicLayerNorm'),
        act_cfg: Dict = dict(type='GELU'),
        use_final_norm: bool = True,
        init_cfg: Optional[Dict] = dict(
            type='TruncNormal', layer='Linear', std=.02, bias=0.)
    ) -> None:
        from mmcv.cnn import build_norm_layer
        super().__init__(init_cfg=init_cfg)
        ranges = self._check_arch_setting(arch_setting)
        self.arch_setting = arch_setting
        self.mlp_ratio_range = ranges['mlp_ratios']
        self.num_head_range = ranges['num_heads']
        self.depth_range = ranges['depth']
        self.embed_dim_range = ranges['embed_dims']
        self.embed_dims = max(self.embed_dim_range)
        self.num_layers = max(self.depth_range)
        self.num_heads = max(self.num_head_range)
        self.mlp_ratio = max(self.mlp_ratio_range)
        self.head_dims = head_dims
        self.use_final_norm = use_final_norm

        # the mutables come first: their module paths are the subnet keys
        self.mutable_embed_dims = OneShotMutableChannel(
            self.embed_dims, candidate_choices=self.embed_dim_range)
        self.mutable_depth = OneShotMutableValue(
            value_list=self.depth_range, default_value=self.num_layers)
        self.base_embed_dims = OneShotMutableChannel(
            head_dims, candidate_choices=[head_dims])

        patch_cfg = dict(kernel_size=patch_size, stride=patch_size)
        patch_cfg.update(conv_cfg or dict())
        self.patch_embed = DynamicPatchEmbed(
            img_size=img_size,
            in_channels=in_channels,
            embed_dims=self.embed_dims,
            conv_cfg=patch_cfg)
        num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, num_patches + 1, self.embed_dims))
        trunc_normal_(self.cls_token, std=.02)
        trunc_normal_(self.pos_embed, std=.02)
        self.drop_after_pos = nn.Dropout(drop_rate)

        dpr = torch.linspace(0, drop_path_rate, self.num_layers).tolist()
        self.blocks = DynamicSequential(*[
            TransformerEncoderLayer(
                embed_dims=self.embed_dims,
                num_heads=self.num_heads,
                mlp_ratio=self.mlp_ratio,
                drop_rate=drop_rate,
                drop_path_rate=dpr[i],
                relative_position=relative_position,
                max_relative_position=max_relative_position,
                qkv_bias=qkv_bias,
                act_cfg=act_cfg,
                norm_cfg=norm_cfg,
                head_dims=head_dims) for i in range(self.num_layers)
        ])
        if use_final_norm:
            self.norm1_name, norm1 = build_norm_layer(
                norm_cfg, self.embed_dims, postfix=1)
            self.add_module(self.norm1_name, norm1)
        self.register_mutables()

    @staticmethod
    def _check_arch_setting(arch_setting: Dict) -> Dict[str, List]:
        if not isinstance(arch_setting, dict) or \
                set(arch_setting) != set(_ARCH_KEYS):
            keys = sorted(arch_setting) if isinstance(arch_setting,
                                                      dict) else arch_setting
            raise ValueError('AutoformerBackbone: arch_setting must have '
                             f'exactly the keys {list(_ARCH_KEYS)}, got '
                             f'{keys}')
        ranges = dict()
        for key in _ARCH_KEYS:
            values = arch_setting[key]
            if not isinstance(values, Sequence) or not values or \
                    any(v <= 0 for v in values):
                raise ValueError(f'AutoformerBackbone: arch_setting.{key} '
                                 'must be a non-empty list of positive '
                                 f'numbers, got {values!r}')
            ranges[key] = sorted(values)
        for key in ('num_heads', 'depth', 'embed_dims'):
            if not all(isinstance(v, int) for v in ranges[key]):
                raise TypeError(f'AutoformerBackbone: arch_setting.{key} '
                                f'must hold ints, got {ranges[key]}')
        ranges['mlp_ratios'] = [float(v) for v in ranges['mlp_ratios']]
        return ranges

    def register_mutables(self) -> None:
        """Wire the mutables to the dynamic ops of every block."""
        self.patch_embed.register_mutable_attr('embed_dims',
                                               self.mutable_embed_dims)
        self.blocks.register_mutable_attr('depth', self.mutable_depth)
        for i in range(self.num_layers):
            block = self.blocks[i]
            mutable_num_heads = OneShotMutableValue(
                value_list=self.num_head_range, default_value=self.num_heads)
            mutable_mlp_ratios = OneShotMutableValue(
                value_list=self.mlp_ratio_range, default_value=self.mlp_ratio)
            block.register_mutables(
                mutable_num_heads=mutable_num_heads,
                mutable_mlp_ratios=mutable_mlp_ratios,
                mutable_q_embed_dims=self.base_embed_dims * mutable_num_heads,
                mutable_head_dims=self.base_embed_dims,
                mutable_embed_dims=self.mutable_embed_dims)
        if self.use_final_norm:
            MutableChannelContainer.register_mutable_channel_to_module(
                self.norm1, self.mutable_embed_dims, True)

    @property
    def norm1(self) -> nn.Module:
        """The final norm."""
        return getattr(self, self.norm1_name)

    @property
    def last_mutable(self) -> OneShotMutableChannel:
        """The mutable of the output channels (for the head)."""
        return self.mutable_embed_dims

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """(B, C, H, W) -> ``(mean of the patch tokens, )``."""
        B = x.shape[0]
        x = self.patch_embed(x)
        embed_dims = x.shape[-1]
        cls_tokens = self.cls_token[..., :embed_dims].expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = self.drop_after_pos(x + self.pos_embed[..., :embed_dims])
        x = self.blocks(x)
        if self.use_final_norm:
            x = self.norm1(x)
        return (x[:, 1:].mean(dim=1), )
