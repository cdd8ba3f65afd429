# Copyright (c) OpenMMLab. All rights reserved.
"""Sequential mutable channel restricted to candidate choices."""
import random
from typing import List, Union

from .sequential_mutable_channel import SquentialMutableChannel


class OneShotMutableChannel(SquentialMutableChannel):
    """A :class:`SquentialMutableChannel` limited to ``candidate_choices``.

    Args:
        num_channels (int): The number of channels.
        candidate_choices (list): Allowed choices (ints in 'number' mode,
            floats in 'ratio' mode).
        choice_mode (str): 'number' or 'ratio'. Defaults to 'number'.
    """

    def __init__(self,
                 num_channels: int,
                 candidate_choices: List[Union[int, float]] = [],
                 choice_mode: str = 'number',
                 **kwargs) -> None:
        super().__init__(num_channels, choice_mode, **kwargs)
        candidates = sorted(candidate_choices) if candidate_choices else \
            ([num_channels] if choice_mode == 'number' else [1.0])
        for c in candidates:
            if choice_mode == 'number' and not isinstance(c, int):
                raise TypeError('candidate choices must be ints in number '
                                f'mode, got {c!r}')
        self.candidate_choices = candidates
        self.current_choice = self.max_choice

    @property
    def choices(self) -> List[Union[int, float]]:
        return list(self.candidate_choices)

    @property
    def num_choices(self) -> int:
        return len(self.candidate_choices)

    @property
    def max_choice(self) -> Union[int, float]:
        return self.candidate_choices[-1]

    @property
    def min_choice(self) -> Union[int, float]:
        return self.candidate_choices[0]

    def sample_choice(self) -> Union[int, float]:
        """A random candidate."""
        return random.choice(self.candidate_choices)

    def fix_chosen(self, chosen=None) -> None:
        """Fix to ``chosen``, which in 'number' mode must be one of the
        candidates.

        Raises:
            ValueError: ``chosen`` is not a candidate.
        """
        if chosen is not None and self.choice_mode == 'number' and \
                chosen not in self.candidate_choices:
            name = self.alias or type(self).__name__
            raise ValueError(f'{name}: chosen {chosen!r} is not one of the '
                             f'candidate choices {self.candidate_choices}')
        super().fix_chosen(chosen)
