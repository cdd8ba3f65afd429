# Copyright (c) OpenMMLab. All rights reserved.
"""Check a channel-unit config against the units found in a model."""
from torch import nn


def check_units_cfg_names(mutator, model: nn.Module) -> None:
    """Raise if ``mutator.units_cfg`` names units that ``model`` lacks.

    A channel config (units json, ``fix_subnet.json``) written for another
    model would otherwise be ignored silently.

    Args:
        mutator (ChannelMutator): A prepared mutator.
        model (nn.Module): The model it was prepared from.

    Raises:
        KeyError: Unknown unit names, with examples of both sides.
    """
    known = {u.name for u in mutator.units}
    unknown = [n for n in mutator.units_cfg if n not in known]
    if unknown:
        raise KeyError(
            f'the channel config names {len(unknown)} units that '
            f'{type(model).__name__} does not have, e.g. {unknown[:3]}; its '
            f'units are, e.g. {sorted(known)[:3]}. Was the config written '
            'for another model?')
