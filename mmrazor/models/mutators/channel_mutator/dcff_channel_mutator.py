# Copyright (c) OpenMMLab. All rights reserved.
"""Channel mutator of DCFF (filter fusion)."""
from typing import Dict, Type, Union

from torch import nn

from mmrazor.models.mutables import DCFFChannelUnit
from mmrazor.registry import MODELS
from .channel_mutator import ChannelMutator
from .units_cfg_check import check_units_cfg_names


@MODELS.register_module()
class DCFFChannelMutator(ChannelMutator[DCFFChannelUnit]):
    """:class:`ChannelMutator` with :class:`DCFFChannelUnit` s; computes the
    filter-fusion matrices of their ``FuseConv2d`` s.

    Args:
        channel_unit_cfg (dict): Defaults to ``dict(type='DCFFChannelUnit',
            units={})``.
        parse_cfg (dict): How to find the units (see
            :class:`ChannelMutator`). Defaults to the ChannelAnalyzer with
            the BackwardTracer.
    """

    def __init__(self,
                 channel_unit_cfg: Union[Type, Dict] = dict(
                     type='DCFFChannelUnit', units={}),
                 parse_cfg: Dict = dict(
                     _scope_='mmrazor',
                     type='ChannelAnalyzer',
                     demo_input=(1, 3, 224, 224),
                     tracer_type='BackwardTracer'),
                 **kwargs) -> None:
        super().__init__(channel_unit_cfg, parse_cfg, **kwargs)

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Prepare the units; a units config naming units that
        ``supernet`` lacks is an error (KeyError)."""
        super().prepare_from_supernet(supernet)
        check_units_cfg_names(self, supernet)

    def calc_information(self, tau: float) -> None:
        """Set the fusion matrix of every ``FuseConv2d`` output channel of
        the units at temperature ``tau`` (from the current choices).

        Args:
            tau (float): The temperature (> 0).
        """
        from mmrazor.models.architectures.dynamic_ops import FuseConv2d
        done = set()
        for unit in self.units:
            for channel in unit.output_related:
                module = channel.module
                if isinstance(module, FuseConv2d) and \
                        id(module) not in done and module.groups == 1:
                    done.add(id(module))
                    module.set_forward_args(
                        choice=module.get_pooled_channel(tau))
