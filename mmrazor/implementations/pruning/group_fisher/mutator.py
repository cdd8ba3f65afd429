# Copyright (c) OpenMMLab. All rights reserved.
"""The Group Fisher channel mutator: prunes the globally least important
channel."""
from typing import Dict, List, Optional, Tuple, Type, Union

import torch
from mmengine import dist

from mmrazor.models.mutators import ChannelMutator
from mmrazor.registry import MODELS
from mmrazor.utils import print_log
from .ops import GroupFisherMixin
from .unit import GroupFisherChannelUnit


@MODELS.register_module()
class GroupFisherChannelMutator(ChannelMutator[GroupFisherChannelUnit]):
    """Channel mutator of Group Fisher pruning.

    Args:
        channel_unit_cfg (type | dict): The unit config. Defaults to
            ``GroupFisherChannelUnit``.
        parse_cfg (dict): How to find the units. Defaults to the
            ``ChannelAnalyzer`` with the ``FxTracer``.
        **kwargs: See :class:`ChannelMutator`.
    """

    def __init__(self,
                 channel_unit_cfg: Union[Dict,
                                         Type[GroupFisherChannelUnit]] = dict(
                                             type='GroupFisherChannelUnit'),
                 parse_cfg: Dict = dict(
                     _scope_='mmrazor',
                     type='ChannelAnalyzer',
                     demo_input=(1, 3, 224, 224),
                     tracer_type='FxTracer'),
                 **kwargs) -> None:
        super().__init__(channel_unit_cfg, parse_cfg, **kwargs)
        if not issubclass(self.unit_class, GroupFisherChannelUnit):
            raise TypeError(
                'GroupFisherChannelMutator needs GroupFisherChannelUnit (or '
                f'a subclass) units, got {self.unit_class.__name__}')

    @property
    def fisher_units(self) -> List[GroupFisherChannelUnit]:
        """Mutable units whose importance is recorded."""
        return [u for u in self.mutable_units if u.has_fisher]

    def _recording_modules(self) -> List[GroupFisherMixin]:
        seen, mods = set(), []
        for unit in self.mutable_units:
            for m in unit.recording_modules:
                if id(m) not in seen:
                    seen.add(id(m))
                    mods.append(m)
        return mods

    def start_record_info(self) -> None:
        """Start recording activations and gradients."""
        for m in self._recording_modules():
            m.start_record()

    def end_record_info(self) -> None:
        """Stop recording."""
        for m in self._recording_modules():
            m.end_record()

    def reset_recorded_info(self) -> None:
        """Drop the recorded activations x gradients."""
        for m in self._recording_modules():
            m.reset_recorded()

    def update_imp(self) -> None:
        """Add the recorded batch's Fisher information to every unit
        (summed over the ranks when distributed)."""
        units = self.fisher_units
        if not units:
            return
        batch = [u.current_batch_fisher for u in units]
        if dist.get_world_size() > 1:
            flat = torch.cat(batch)
            dist.all_reduce(flat, op='sum')
            batch = list(flat.split([u.num_channels for u in units]))
        for unit, fisher in zip(units, batch):
            unit.update_fisher_info(fisher)

    def reset_imp(self) -> None:
        """Zero the accumulated importance."""
        for unit in self.mutable_units:
            unit.reset_fisher_info()

    def try_prune(self) -> Optional[Tuple[str, int]]:
        """Prune the channel with the globally lowest normalised Fisher
        information (among units that keep more than one channel).

        Returns:
            tuple | None: ``(unit_name, channel_index)``, or None when no
            channel could be pruned (e.g. the importance is NaN).
        """
        best_unit, best_index, best_value = None, -1, float('inf')
        for unit in self.fisher_units:
            mask = unit.mutable_channel.current_mask.cpu()
            if int(mask.sum()) <= max(1, unit.min_value):
                continue
            if not bool(torch.isfinite(unit.fisher_info).all()):
                print_log(
                    f'Group Fisher: the importance of unit {unit.name} is '
                    'not finite (NaN/inf gradients); no channel is pruned '
                    'at this step',
                    logger='current')
                return None
            imp = unit.normalized_fisher_info.clone()
            if bool(torch.isnan(imp).all()):
                continue  # its cost per channel is not known yet
            imp[~mask] = float('inf')
            value, index = imp.min(0)
            value = float(value)
            if value < best_value:
                best_unit, best_index, best_value = unit, int(index), value
        if best_unit is None:
            return None
        best_unit.prune_channel(best_index)
        return best_unit.name, best_index
