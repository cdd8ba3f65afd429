# Copyright (c) OpenMMLab. All rights reserved.
"""Channel slicing for (grouped / depthwise) convolutions."""
from typing import Optional, Tuple

import torch
from torch import Tensor

from .dynamic_mixins import DynamicChannelMixin


class DynamicConvMixin(DynamicChannelMixin):
    """Dynamic convolution: masks ``in_channels`` / ``out_channels``.

    Grouped convolutions keep whole groups: a group is dropped when all its
    input and output channels are masked, and every kept group must keep
    the same number of input and of output channels (depthwise convolutions
    satisfy this when their input and output masks agree).
    """

    accepted_mutable_attrs = {'in_channels', 'out_channels'}

    def get_dynamic_params(self) -> Tuple[Tensor, Optional[Tensor], int]:
        """(weight, bias, groups) sliced by the current masks.

        Raises:
            ValueError: The masks break the group structure.
        """
        in_mask, k_in = self.get_mask_and_prefix('in_channels',
                                                 self.in_channels)
        out_mask, k_out = self.get_mask_and_prefix('out_channels',
                                                   self.out_channels)
        weight, bias, groups = self.weight, self.bias, self.groups
        if in_mask is None and out_mask is None:
            return weight, bias, groups
        prefix_in = in_mask is None or k_in is not None
        prefix_out = out_mask is None or k_out is not None
        if prefix_in and prefix_out:
            # kept channels are prefixes: slices (views), no copy
            if groups == 1:
                if k_out is not None:
                    weight = weight[:k_out]
                    bias = bias[:k_out] if bias is not None else None
                if k_in is not None:
                    weight = weight[:, :k_in]
                return weight, bias, 1
            if groups == self.in_channels == self.out_channels and \
                    k_in is not None and k_in == k_out:
                # depthwise
                return weight[:k_in], (bias[:k_in]
                                       if bias is not None else None), k_in
        dev = weight.device
        if in_mask is None:
            in_mask = torch.ones(
                self.in_channels, dtype=torch.bool, device=dev)
        if out_mask is None:
            out_mask = torch.ones(
                self.out_channels, dtype=torch.bool, device=dev)
        in_mask, out_mask = in_mask.to(dev), out_mask.to(dev)
        if bias is not None:
            bias = bias[out_mask]
        if groups == 1:
            return weight[out_mask][:, in_mask], bias, 1
        in_pg = self.in_channels // groups
        out_pg = self.out_channels // groups
        in_m = in_mask.view(groups, in_pg)
        out_m = out_mask.view(groups, out_pg)
        in_cnt, out_cnt = in_m.sum(1), out_m.sum(1)
        keep = (in_cnt > 0) | (out_cnt > 0)
        k_in, k_out = in_cnt[keep], out_cnt[keep]
        if keep.sum() == 0 or bool((k_in == 0).any()) or \
                bool((k_out == 0).any()) or \
                bool((k_in != k_in[0]).any()) or \
                bool((k_out != k_out[0]).any()):
            raise ValueError(
                f'{type(self).__name__}(groups={groups}): the channel masks '
                'break the group structure; every kept group must keep the '
                'same number of input and output channels (in per group: '
                f'{in_cnt.tolist()}, out per group: {out_cnt.tolist()})')
        n_keep, ic, oc = int(keep.sum()), int(k_in[0]), int(k_out[0])
        w = weight.view(groups, out_pg, in_pg, *weight.shape[2:])[keep]
        w = w[out_m[keep]].view(n_keep, oc, in_pg, *weight.shape[2:])
        in_idx = in_m[keep].nonzero()[:, 1].view(n_keep, ic)
        g_idx = torch.arange(n_keep, device=dev)[:, None, None]
        o_idx = torch.arange(oc, device=dev)[None, :, None]
        w = w[g_idx, o_idx, in_idx[:, None, :]]
        return w.reshape(n_keep * oc, ic, *weight.shape[2:]), bias, n_keep

    def _build_static(self, weight: Tensor, bias: Optional[Tensor],
                      groups: int):
        return self.static_op_factory(
            in_channels=weight.shape[1] * groups,
            out_channels=weight.shape[0],
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=groups,
            bias=bias is not None,
            padding_mode=self.padding_mode)

    def to_static_op(self):
        self.check_if_mutables_fixed()
        weight, bias, groups = self.get_dynamic_params()
        op = self._build_static(weight, bias, groups)
        with torch.no_grad():
            op.weight.copy_(weight)
            if bias is not None:
                op.bias.copy_(bias)
        op.train(self.training)
        return op
