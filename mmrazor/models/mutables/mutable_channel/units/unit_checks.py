# Copyright (c) OpenMMLab. All rights reserved.
"""Checks of unit configs against the model they are applied to."""
from typing import List

from .mutable_channel_container_utils import channel_num


def check_channels_fit(unit) -> None:
    """Check that every channel range of ``unit`` lies inside its module.

    A channel config written for another model (or a ``fix_subnet.json``
    whose widths exceed the layers) would otherwise slice silently.

    Args:
        unit (ChannelUnit): The unit, its channels bound to modules.

    Raises:
        ValueError: A range exceeds its module, naming the unit, the module
            and the numbers.
    """
    for channel in unit.input_related + unit.output_related:
        if channel.module is None:
            continue
        try:
            total = channel_num(channel.module, channel.is_output_channel)
        except (AttributeError, TypeError):
            continue  # parameter-free modules have no channel number
        start, end = channel.index
        side = 'output' if channel.is_output_channel else 'input'
        if not 0 <= start < end <= total:
            raise ValueError(
                f'unit {unit.name}: channel range ({start}, {end}) of '
                f'{channel.name} exceeds its {total} {side} channels; the '
                'channel config was written for another model')
        if end - start < unit.num_channels:
            raise ValueError(
                f'unit {unit.name}: the config gives the unit '
                f'{unit.num_channels} channels, but {channel.name} has '
                f'only {end - start} {side} channels in it; the channel '
                'config was written for another model')


def check_choices_fit(unit, choices: List[int], what: str) -> None:
    """Check that channel numbers lie in ``[1, unit.num_channels]``.

    Args:
        unit (ChannelUnit): The unit.
        choices (list[int]): The channel numbers.
        what (str): What the numbers are, for the message.

    Raises:
        ValueError: A number is out of range, naming the unit and numbers.
    """
    bad = [c for c in choices if not 0 < c <= unit.num_channels]
    if bad:
        raise ValueError(
            f'unit {unit.name}: {what} {bad} exceed the unit\'s '
            f'{unit.num_channels} channels (valid: 1..{unit.num_channels})')


def check_divisible(unit, choice, num: int) -> int:
    """Check that ``num`` channels (``choice`` made divisible and clamped
    to the unit) are a multiple of ``unit.divisor``.

    Args:
        unit (MutableChannelUnit): The unit (with ``divisor``).
        choice (int | float): The requested choice.
        num (int): The channel number it became.

    Returns:
        int: ``num``.

    Raises:
        ValueError: The divisor can not be met within the unit.
    """
    if unit.divisor > 1 and num % unit.divisor != 0:
        raise ValueError(
            f'unit {unit.name}: choice {choice} can not be made divisible '
            f'by {unit.divisor} within its {unit.num_channels} channels '
            f'(got {num})')
    return num
