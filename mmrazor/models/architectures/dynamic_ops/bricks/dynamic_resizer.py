# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic input resizer (input-size search)."""
from typing import Callable

from torch import Tensor, nn

from mmrazor.registry import MODELS
from ...ops.input_resizer import InputResizer
from ..mixins.dynamic_resize_mixin import DynamicResizeMixin


@MODELS.register_module()
class DynamicInputResizer(InputResizer, DynamicResizeMixin):
    """:class:`InputResizer` whose target shape is searchable.

    Register a :class:`OneShotMutableValue` over ``[h, w]`` pairs as
    ``shape``; the network input is resized to its current choice.

    Example:
        >>> from mmrazor.models.mutables import OneShotMutableValue
        >>> resizer = DynamicInputResizer()
        >>> resizer.register_mutable_attr(
        ...     'shape', OneShotMutableValue([[12, 12], [16, 16]]))
    """

    accepted_mutable_attrs = {'shape'}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mutable_attrs = nn.ModuleDict()

    @property
    def static_op_factory(self) -> Callable:
        return InputResizer

    @classmethod
    def convert_from(cls, module: InputResizer) -> 'DynamicInputResizer':
        """Build from a plain :class:`InputResizer`."""
        return cls(
            shape=module.shape,
            interpolation_type=module.interpolation_type,
            align_corners=module.align_corners)

    def forward(self, x: Tensor) -> Tensor:
        """Resize ``x`` to the current shape."""
        return self.resize(x, self.get_dynamic_shape())
