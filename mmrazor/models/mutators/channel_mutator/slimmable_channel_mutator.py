# Copyright (c) OpenMMLab. All rights reserved.
"""Channel mutator of slimmable networks (a fixed list of subnets)."""
from typing import Any, Dict, List, Type, Union

from torch import nn

from mmrazor.models.mutables import SlimmableChannelUnit
from mmrazor.registry import MODELS
from .channel_mutator import ChannelMutator
from .units_cfg_check import check_units_cfg_names


@MODELS.register_module()
class SlimmableChannelMutator(ChannelMutator[SlimmableChannelUnit]):
    """Mutator of a slimmable network.

    The subnets are given by ``channel_unit_cfg.units`` (a dict or a json
    path): the i-th subnet sets every listed unit to the i-th entry of its
    ``init_args.candidate_choices``. Random sampling is not defined.

    Args:
        channel_unit_cfg (dict): ``dict(type='SlimmableChannelUnit',
            units={unit_name: {'init_args': {..., 'candidate_choices':
            [...]}, 'choice': ...}} or 'units.json')``.
        parse_cfg (dict): How to find the units (see
            :class:`ChannelMutator`).
        init_cfg (dict, optional): Init config.
    """

    def __init__(self,
                 channel_unit_cfg: Union[Type, Dict] = dict(
                     type='SlimmableChannelUnit', units={}),
                 parse_cfg: Dict = dict(
                     _scope_='mmrazor',
                     type='ChannelAnalyzer',
                     demo_input=(1, 3, 224, 224),
                     tracer_type='BackwardTracer'),
                 init_cfg=None,
                 **kwargs) -> None:
        super().__init__(
            channel_unit_cfg, parse_cfg, init_cfg=init_cfg, **kwargs)
        self.subnets = self._prepare_subnets(self.units_cfg)

    @staticmethod
    def _prepare_subnets(units_cfg: Dict) -> List[Dict[str, int]]:
        """``[{unit_name: candidate_choices[i]}, ...]``.

        Raises:
            ValueError: A unit has no candidates, or the units disagree on
                the number of subnets.
        """
        if not units_cfg:
            raise ValueError(
                'SlimmableChannelMutator needs channel_unit_cfg.units with '
                'the candidate_choices of every unit (one per subnet)')
        lengths = {}
        for name, cfg in units_cfg.items():
            choices = (cfg.get('init_args') or {}).get('candidate_choices')
            if not choices:
                raise ValueError(f'unit {name} has no '
                                 'init_args.candidate_choices')
            lengths[name] = len(choices)
        if len(set(lengths.values())) != 1:
            raise ValueError(
                'every unit must list one candidate choice per subnet; got '
                f'lengths {sorted(set(lengths.values()))}, e.g. '
                f'{dict(list(lengths.items())[:3])}')
        num = next(iter(lengths.values()))
        return [{
            name: cfg['init_args']['candidate_choices'][i]
            for name, cfg in units_cfg.items()
        } for i in range(num)]

    def prepare_from_supernet(self, supernet: nn.Module) -> None:
        """Parse the units, check them against ``units_cfg`` and prepare.

        Raises:
            KeyError: ``units_cfg`` names units the model does not have
                (a channel config written for another model).
        """
        super().prepare_from_supernet(supernet)
        check_units_cfg_names(self, supernet)

    @property
    def max_choices(self) -> Dict[str, Any]:
        return {u.name: u.max_choice for u in self.mutable_units}

    @property
    def min_choices(self) -> Dict[str, Any]:
        return {u.name: u.min_choice for u in self.mutable_units}

    def sample_choices(self, kind: str = 'random') -> Dict[str, Any]:
        """Not defined: a slimmable network has a fixed list of subnets."""
        raise RuntimeError(
            'SlimmableChannelMutator does not sample subnets; use '
            '`mutator.subnets[i]` with `set_choices`')
