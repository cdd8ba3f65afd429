# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional


def make_divisible(value: int,
                   divisor: int,
                   min_value: Optional[int] = None,
                   min_ratio: float = 0.9) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``.

    The result is never below ``min_value`` (default ``divisor``); when it
    falls below ``min_ratio * value`` one more ``divisor`` is added, so the
    rounding never removes more than ``1 - min_ratio`` of the channels.

    Args:
        value (int): The original channel number.
        divisor (int): The divisor to fully divide the channel number.
        min_value (int, optional): The minimum value of the output channel.
            Defaults to None, means that the minimum value equal to the
            divisor.
        min_ratio (float): The minimum ratio of the rounded channel number to
            the original channel number. Defaults to 0.9.

    Returns:
        int: The modified output channel number.

    Examples:
        >>> make_divisible(30, 8)
        32
        >>> make_divisible(20, 8)
        24
        >>> make_divisible(3, 8)
        8
    """
    if divisor <= 0:
        raise ValueError(f'divisor must be positive, got {divisor}')
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    # Make sure that round down does not go down by more than (1-min_ratio).
    if new_value < min_ratio * value:
        new_value += divisor
    return new_value
