# Copyright (c) OpenMMLab. All rights reserved.
"""Mixin of the dynamic input resizer (searchable ``shape``)."""
from typing import Optional, Tuple

from torch import nn

from .dynamic_mixins import DynamicMixin


class DynamicResizeMixin(DynamicMixin):
    """Dynamic resizer: the target ``shape`` follows a mutable value whose
    choices are ``(h, w)`` pairs."""

    accepted_mutable_attrs = {'shape'}

    def get_dynamic_shape(self) -> Optional[Tuple[int, int]]:
        """The current ``(h, w)``, or the static ``shape`` when no mutable
        is registered."""
        mutable = self.get_mutable_attr('shape')
        if mutable is None:
            return self.shape
        choice = mutable.current_choice
        if not isinstance(choice, (list, tuple)) or len(choice) != 2:
            raise ValueError(
                f'{type(self).__name__}: the `shape` mutable must choose '
                f'[h, w] pairs, got {choice!r}')
        return (int(choice[0]), int(choice[1]))

    def to_static_op(self) -> nn.Module:
        """A plain resizer fixed to the current shape."""
        self.check_if_mutables_fixed()
        op = self.static_op_factory(
            shape=self.get_dynamic_shape(),
            interpolation_type=self.interpolation_type,
            align_corners=self.align_corners)
        op.train(self.training)
        return op
