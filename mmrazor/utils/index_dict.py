# Copyright (c) OpenMMLab. All rights reserved.
from collections import OrderedDict
from typing import Tuple, TypeVar

VT = TypeVar('VT')  # Value type


class IndexDict(OrderedDict):
    """An ``OrderedDict`` keyed by index ranges ``(start, end)``.

    Each key is a half-open range ``[start, end)``. The dict keeps its keys
    sorted in ascending order and refuses overlapping ranges.

    Examples:
        >>> d = IndexDict()
        >>> d[(4, 8)] = 'b'
        >>> d[(0, 4)] = 'a'
        >>> list(d.keys())
        [(0, 4), (4, 8)]
        >>> d[(2, 6)] = 'c'
        Traceback (most recent call last):
        ...
        KeyError: 'index (2, 6) overlaps with (0, 4)'
    """

    def __setitem__(self, __k: Tuple[int, int], __v: VT) -> None:
        start, end = self._check_key(__k)
        for key in self.keys():
            if key == (start, end):
                continue
            if start < key[1] and key[0] < end:
                raise KeyError(f'index {(start, end)} overlaps with {key}')
        super().__setitem__((start, end), __v)
        self._sort()

    @staticmethod
    def _check_key(key) -> Tuple[int, int]:
        if not (isinstance(key, tuple) and len(key) == 2
                and all(isinstance(i, int) for i in key)):
            raise TypeError(
                f'IndexDict keys are (start, end) int tuples, got {key!r}')
        if key[0] > key[1]:
            raise KeyError(f'index {key}: start must not exceed end')
        return key

    def _sort(self) -> None:
        items = sorted(self.items())
        self.clear()
        for k, v in items:
            super().__setitem__(k, v)

    def __repr__(self) -> str:
        s = 'IndexDict{'
        for key, value in self.items():
            s += f'{key}: {value},'
        s += '}'
        return s
