# Copyright (c) OpenMMLab. All rights reserved.
"""Check a channel-unit config against the units found in a model."""
import difflib
import warnings
from typing import Any, Dict, Iterable

from torch import nn


def keeps_all_channels(unit_cfg: Any) -> bool:
    """Whether a unit config keeps every channel of its unit: its choice
    (and each candidate choice, if any) is the ratio 1.0 or its
    ``init_args.num_channels``.

    Args:
        unit_cfg (dict): ``{'init_args': {...}, 'choice': ...}``.

    Returns:
        bool: True if applying the config to the unit prunes nothing.
    """
    if not isinstance(unit_cfg, dict):
        return False
    init_args = unit_cfg.get('init_args') or {}
    num = init_args.get('num_channels')

    def full(choice: Any) -> bool:
        if isinstance(choice, bool) or not isinstance(choice, (int, float)):
            return False
        return (isinstance(choice, float) and choice == 1.0) or \
            (isinstance(num, int) and choice == num)

    return full(unit_cfg.get('choice')) and all(
        full(c) for c in init_args.get('candidate_choices') or [])


def check_unknown_units(units_cfg: Dict[str, Any], known: Iterable[str],
                        owner: str) -> None:
    """Check the unit names of a channel config against a model's units.

    Units the model lacks are an error, except, when other units of the
    config are found, for units that keep all their channels (see
    :func:`keeps_all_channels`): they change nothing and are skipped with a
    warning (e.g. the stem ``backbone.conv1`` of a ResNet structure file
    applied to the deep stem of a ResNetV1c, which has no such unit).

    Args:
        units_cfg (dict): ``{unit_name: unit_cfg}`` of the config.
        known (Iterable[str]): The names of the model's units.
        owner (str): The model, for the messages.

    Raises:
        KeyError: Units the model lacks would be pruned (or none of the
            config's units is found): names each with its choice and the
            closest units of the model.
    """
    known = list(known)
    unknown = [n for n in units_cfg if n not in set(known)]
    if not unknown:
        return
    if len(unknown) == len(units_cfg):
        pruned = unknown  # nothing of the config fits the model
    else:
        pruned = [n for n in unknown if not keeps_all_channels(units_cfg[n])]
    if pruned:
        hints = []
        for name in pruned[:3]:
            unit_cfg = units_cfg[name]
            choice = unit_cfg.get('choice') if isinstance(unit_cfg,
                                                          dict) else None
            hints.append(f'{name} (choice {choice}; closest units of the '
                         f'model: {_closest(name, units_cfg, known)})')
        raise KeyError(
            f'the channel config names {len(pruned)} units that {owner} '
            f'does not have: {"; ".join(hints)}; its {len(known)} units '
            f'are, e.g. {sorted(known)[:3]}. Was the config written for '
            'another model?')
    warnings.warn(
        f'the channel config names {len(unknown)} units that {owner} does '
        f'not have, {unknown[:3]}; each keeps all its channels (its choice '
        'is the full width), so it changes nothing and is skipped')


def _closest(name: str, units_cfg: Dict[str, Any], known: list) -> list:
    """The model's units most like ``name``: the first (in model order)
    of the same width that the config does not name, else the closest
    names."""
    width = name.rsplit('_', 1)[-1]
    same = [
        k for k in known
        if k not in units_cfg and k.rsplit('_', 1)[-1] == width
    ]
    return same[:3] or difflib.get_close_matches(name, known, n=3, cutoff=0)


def check_units_cfg_names(mutator, model: nn.Module) -> None:
    """Raise if ``mutator.units_cfg`` names units that ``model`` lacks
    (see :func:`check_unknown_units`).

    A channel config (units json, ``fix_subnet.json``) written for another
    model would otherwise be ignored silently.

    Args:
        mutator (ChannelMutator): A prepared mutator.
        model (nn.Module): The model it was prepared from.

    Raises:
        KeyError: Unknown unit names, with examples of both sides.
    """
    check_unknown_units(mutator.units_cfg, [u.name for u in mutator.units],
                        type(model).__name__)
