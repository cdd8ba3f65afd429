# Copyright (c) OpenMMLab. All rights reserved.
import random
from typing import Dict


def crossover(random_subnet1: Dict,
              random_subnet2: Dict,
              prob: float = 0.5) -> Dict:
    """Cross two subnets: every gene comes from ``random_subnet2`` with
    probability ``prob``, else from ``random_subnet1``.

    Args:
        random_subnet1 (dict): The first subnet.
        random_subnet2 (dict): The second subnet (same keys).
        prob (float): Probability of taking a gene from the second subnet.

    Returns:
        dict: The child subnet.
    """
    if set(random_subnet1) != set(random_subnet2):
        raise KeyError('Subnets to cross must have the same keys, got '
                       f'{sorted(map(str, random_subnet1))} and '
                       f'{sorted(map(str, random_subnet2))}')
    if not 0 <= prob <= 1:
        raise ValueError(f'prob must be in [0, 1], got {prob}')
    child = dict()
    for key, value in random_subnet1.items():
        child[key] = random_subnet2[key] if random.random() < prob else value
    return child
