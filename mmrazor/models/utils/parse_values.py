# Copyright (c) OpenMMLab. All rights reserved.
from typing import List


def parse_values(candidate_lists: List[list]) -> List:
    """Expand ``[min, max, step]`` triples into lists of candidates.

    Args:
        candidate_lists (list[list]): Each item is ``[min, max, step]``
            (``max`` inclusive).

    Returns:
        list[list]: The expanded candidates.

    Examples:
        >>> parse_values([[16, 24, 8], [1, 3, 1]])
        [[16, 24], [1, 2, 3]]
    """

    def _range_to_list(input_range: List[int]) -> List[int]:
        if len(input_range) != 3:
            raise ValueError('a candidate range is [min, max, step], got '
                             f'{input_range!r}')
        start, end, step = input_range
        if step <= 0:
            raise ValueError(f'step must be positive in {input_range!r}')
        return list(range(start, end + 1, step))

    return [_range_to_list(i) for i in candidate_lists]
