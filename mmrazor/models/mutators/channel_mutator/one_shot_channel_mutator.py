# Copyright (c) OpenMMLab. All rights reserved.
"""Channel mutator over one-shot units (max/min/random choices)."""
from typing import Any, Dict, Type, Union

from mmrazor.models.mutables import OneShotMutableChannelUnit
from mmrazor.registry import MODELS
from .channel_mutator import ChannelMutator


@MODELS.register_module()
class OneShotChannelMutator(ChannelMutator[OneShotMutableChannelUnit]):
    """:class:`ChannelMutator` with :class:`OneShotMutableChannelUnit`.

    Adds :attr:`max_choices`, :attr:`min_choices` and
    ``sample_choices(kind='random'|'max'|'min')``.
    """

    def __init__(self,
                 channel_unit_cfg: Union[Type, Dict] = dict(
                     type='OneShotMutableChannelUnit', default_args=dict()),
                 **kwargs) -> None:
        super().__init__(channel_unit_cfg, **kwargs)

    @property
    def max_choices(self) -> Dict[str, Any]:
        return {u.name: u.max_choice for u in self.mutable_units}

    @property
    def min_choices(self) -> Dict[str, Any]:
        return {u.name: u.min_choice for u in self.mutable_units}

    def set_max_choices(self) -> None:
        self.set_choices(self.max_choices)

    def set_min_choices(self) -> None:
        self.set_choices(self.min_choices)

    def sample_choices(self, kind: str = 'random') -> Dict[str, Any]:
        if kind == 'max':
            return self.max_choices
        if kind == 'min':
            return self.min_choices
        return super().sample_choices('random')
