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


class BigNasConvMixin(DynamicConvMixin):
    """BigNAS convolution: channels and ``kernel_size`` are searchable.

    A smaller kernel is the centre crop of the largest one and the padding
    follows it ('same' padding: ``(k - 1) // 2 * dilation``), so every
    kernel size keeps the output size.
    """

    accepted_mutable_attrs = {'in_channels', 'out_channels', 'kernel_size'}

    def register_mutable_attr(self, attr: str, mutable) -> None:
        """Register a mutable; a ``kernel_size`` mutable is checked
        against the op's (max) kernel size.

        Raises:
            ValueError: A kernel-size choice is even, or larger than the
                op's kernel, or of another parity.
        """
        if attr == 'kernel_size':
            self._check_kernel_choices(mutable)
        super().register_mutable_attr(attr, mutable)

    def _check_kernel_choices(self, mutable) -> None:
        max_k = self.kernel_size[0]
        choices = list(getattr(mutable, 'choices', []))
        name = getattr(mutable, 'alias', None) or 'kernel_size'
        bad = [
            k for k in choices if not isinstance(k, int) or k <= 0 or
            k > max_k or (max_k - k) % 2 != 0
        ]
        if not choices or bad or self.kernel_size[0] != self.kernel_size[1]:
            raise ValueError(
                f'{type(self).__name__}: kernel-size mutable `{name}` has '
                f'choices {choices}; allowed are odd sizes <= the op kernel '
                f'size {max_k} (square kernel {tuple(self.kernel_size)}), '
                f'i.e. {list(range(max_k % 2 or 2, max_k + 1, 2))}')

    def get_dynamic_kernel_size(self) -> int:
        """The active kernel size."""
        mutable = self.get_mutable_attr('kernel_size')
        if mutable is None:
            return self.kernel_size[0]
        k = mutable.current_choice
        if k not in getattr(mutable, 'choices', [k]) or \
                k > self.kernel_size[0]:
            raise ValueError(
                f'{type(self).__name__}: kernel size {k!r} of `'
                f'{mutable.alias or "kernel_size"}` is not in '
                f'{list(mutable.choices)}')
        return int(k)

    def get_dynamic_padding(self) -> Tuple[int, int]:
        """'same' padding of the active kernel size."""
        if self.get_mutable_attr('kernel_size') is None:
            return tuple(self.padding)
        k = self.get_dynamic_kernel_size()
        return tuple((k - 1) // 2 * d for d in self.dilation)

    def transform_kernel(self, weight: Tensor, kernel_size: int) -> Tensor:
        """The ``kernel_size`` kernel of the (channel-sliced) ``weight``:
        the centre crop."""
        max_k = weight.shape[-1]
        if kernel_size == max_k:
            return weight
        start = (max_k - kernel_size) // 2
        end = start + kernel_size
        return weight[:, :, start:end, start:end]

    def get_dynamic_params(self) -> Tuple[Tensor, Optional[Tensor], int]:
        """(weight, bias, groups) sliced by the channel masks and cropped to
        the active kernel size."""
        weight, bias, groups = super().get_dynamic_params()
        if self.get_mutable_attr('kernel_size') is not None:
            weight = self.transform_kernel(weight,
                                           self.get_dynamic_kernel_size())
        return weight, bias, groups

    def _build_static(self, weight: Tensor, bias: Optional[Tensor],
                      groups: int):
        k = weight.shape[-1]
        return self.static_op_factory(
            in_channels=weight.shape[1] * groups,
            out_channels=weight.shape[0],
            kernel_size=k,
            stride=self.stride,
            padding=self.get_dynamic_padding(),
            dilation=self.dilation,
            groups=groups,
            bias=bias is not None,
            padding_mode=self.padding_mode)


class OFAConvMixin(BigNasConvMixin):
    """Once-for-All convolution: a smaller kernel is the centre crop of the
    next larger one times a learned ``trans_matrix_{src}to{tar}`` (shape
    ``(tar*tar, tar*tar)``, initialised to identity), applied
    progressively from the largest kernel down.

    The matrices are created when the ``kernel_size`` mutable is
    registered (one per consecutive pair of its choices and the op's kernel
    size).
    """

    def register_mutable_attr(self, attr: str, mutable) -> None:
        """Register a mutable; a ``kernel_size`` mutable also creates the
        transform matrices."""
        super().register_mutable_attr(attr, mutable)
        if attr == 'kernel_size':
            self._register_trans_matrix(mutable)

    def _register_trans_matrix(self, mutable) -> None:
        sizes = sorted(set(list(mutable.choices) + [self.kernel_size[0]]),
                       reverse=True)
        names = []
        for src, tar in zip(sizes[:-1], sizes[1:]):
            name = f'trans_matrix_{src}to{tar}'
            if name not in self._parameters:
                self.register_parameter(
                    name,
                    torch.nn.Parameter(
                        torch.eye(tar * tar, device=self.weight.device,
                                  dtype=self.weight.dtype)))
            names.append(name)
        self._ks_set = sizes
        self._trans_matrix_names = names

    def transform_kernel(self, weight: Tensor, kernel_size: int) -> Tensor:
        """Crop and transform ``weight`` progressively down to
        ``kernel_size``."""
        max_k = weight.shape[-1]
        if kernel_size == max_k:
            return weight
        out = weight
        for src, tar in zip(self._ks_set[:-1], self._ks_set[1:]):
            if src <= kernel_size:
                break
            start = (src - tar) // 2
            crop = out[:, :, start:start + tar, start:start + tar]
            shape = crop.shape
            flat = crop.reshape(-1, tar * tar)
            matrix = getattr(self, f'trans_matrix_{src}to{tar}')
            out = torch.nn.functional.linear(flat, matrix).view(shape)
        return out
