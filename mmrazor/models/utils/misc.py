# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict


def add_prefix(inputs: Dict, prefix: str) -> Dict:
    """Add a prefix to the keys of a dict.

    Args:
        inputs (dict): The input dict with str keys.
        prefix (str): The prefix to add.

    Returns:
        dict: The dict with keys updated with ``prefix``.

    Examples:
        >>> add_prefix({'loss': 1}, 'student')
        {'student.loss': 1}
    """
    return {f'{prefix}.{name}': value for name, value in inputs.items()}
