# Copyright (c) OpenMMLab. All rights reserved.
"""Dynamic sequential container."""
from typing import Callable, Iterator

from torch import Tensor, nn

from ..mixins.dynamic_mixins import DynamicMixin


class DynamicSequential(nn.Sequential, DynamicMixin):
    """``nn.Sequential`` that forwards only its first ``depth`` modules.

    ``depth`` is searchable (a mutable value registered as ``depth``);
    mutables and ``nn.ModuleDict`` children are not counted as layers.
    """

    accepted_mutable_attrs = {'depth'}

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.mutable_attrs = nn.ModuleDict()

    def _layers(self) -> Iterator[nn.Module]:
        from mmrazor.models.mutables.base_mutable import BaseMutable
        for name, module in self._modules.items():
            if name == 'mutable_attrs' or isinstance(
                    module, (BaseMutable, nn.ModuleDict)):
                continue
            yield module

    @property
    def pure_module_nums(self) -> int:
        """Number of real layers."""
        return sum(1 for _ in self._layers())

    def _depth(self) -> int:
        mutable = self.get_mutable_attr('depth')
        if mutable is None:
            return self.pure_module_nums
        return int(mutable.current_choice)

    @property
    def static_op_factory(self) -> Callable:
        return nn.Sequential

    @classmethod
    def convert_from(cls, module: nn.Sequential) -> 'DynamicSequential':
        """Build from ``module`` (children are shared)."""
        return cls(*module._modules.values())

    def forward(self, x: Tensor) -> Tensor:
        depth = self._depth()
        for idx, module in enumerate(self._layers()):
            if idx >= depth:
                break
            x = module(x)
        return x

    def to_static_op(self) -> nn.Sequential:
        self.check_if_mutables_fixed()
        depth = self._depth()
        layers = [m for i, m in enumerate(self._layers()) if i < depth]
        return nn.Sequential(*layers)
