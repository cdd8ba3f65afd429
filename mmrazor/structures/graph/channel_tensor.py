# Copyright (c) OpenMMLab. All rights reserved.
"""Union-find of channel dependencies.

Every channel of every traced tensor has an integer id in a
:class:`ChannelSpace`. Ops that tie channels together (residual adds,
depthwise convs, shared modules) union whole id arrays at once; ops whose
channel behaviour is unknown mark them non-prunable with a reason. Unions
and marks are only collected during the propagation and resolved at the
end in a few vectorised passes (:meth:`ChannelSpace.resolve`), which is
much faster than one Python object per channel.

:class:`ChannelElem` is the scalar (one object per channel) form of the
same union-find, kept for small hand-written graphs.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

EMPTY_IDS = np.empty(0, dtype=np.int64)


class ChannelElem:
    """One channel (a union-find node)."""

    __slots__ = ('parent', 'reasons', 'idx')
    _counter = 0

    def __init__(self, reason: Optional[str] = None) -> None:
        self.parent = self
        self.reasons: List[str] = [reason] if reason else []
        ChannelElem._counter += 1
        self.idx = ChannelElem._counter

    def root(self) -> 'ChannelElem':
        node = self
        while node.parent is not node:
            node.parent = node.parent.parent
            node = node.parent
        return node

    def union(self, other: 'ChannelElem') -> 'ChannelElem':
        a, b = self.root(), other.root()
        if a is b:
            return a
        if b.idx < a.idx:
            a, b = b, a
        b.parent = a
        if b.reasons:
            a.reasons.extend(r for r in b.reasons if r not in a.reasons)
        return a

    def mark(self, reason: str) -> None:
        r = self.root()
        if reason not in r.reasons and len(r.reasons) < 8:
            r.reasons.append(reason)

    @property
    def prunable(self) -> bool:
        return not self.root().reasons


def connected_components(num: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label of ``num`` nodes joined by the edges ``a[i]-b[i]``.

    Args:
        num (int): Number of nodes (ids ``0 .. num-1``).
        a, b (np.ndarray): Edge end points (int64, same length).

    Returns:
        np.ndarray: ``labels[i]`` is the smallest id of the component of
        node ``i``.
    """
    parent = np.arange(num, dtype=np.int64)
    while len(a):
        ra, rb = parent[a], parent[b]
        keep = ra != rb
        if not keep.all():
            a, b, ra, rb = a[keep], b[keep], ra[keep], rb[keep]
            if not len(a):
                break
        # hook the larger root under the smaller one (no cycles)
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        # full path compression: every node points at its root
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


class ChannelSpace:
    """Allocates channel ids and collects unions and marks.

    Attributes:
        size (int): Number of ids allocated.
        marks (list): ``(ids, reason)`` in the order they were made.
    """

    def __init__(self) -> None:
        self.size = 0
        self._union_a: List[np.ndarray] = []
        self._union_b: List[np.ndarray] = []
        self.marks: List[Tuple[np.ndarray, str]] = []

    def new(self, num: int, reason: Optional[str] = None) -> np.ndarray:
        """``num`` new ids (marked with ``reason`` when given)."""
        ids = np.arange(self.size, self.size + num, dtype=np.int64)
        self.size += num
        if reason and num:
            self.marks.append((ids, reason))
        return ids

    def union(self, a: Sequence[int], b: Sequence[int]) -> None:
        """Tie ``a[i]`` to ``b[i]`` for every ``i``."""
        if len(a):
            self._union_a.append(np.asarray(a, dtype=np.int64))
            self._union_b.append(np.asarray(b, dtype=np.int64))

    def mark(self, ids: Sequence[int], reason: str) -> None:
        """Make the channels of ``ids`` (and all tied to them)
        non-prunable."""
        if len(ids):
            self.marks.append((np.asarray(ids, dtype=np.int64), reason))

    def resolve(self) -> np.ndarray:
        """Component label of every id (see :func:`connected_components`).
        """
        if self._union_a:
            a = np.concatenate(self._union_a)
            b = np.concatenate(self._union_b)
        else:
            a = b = EMPTY_IDS
        return connected_components(self.size, a, b)


class ChannelTensor:
    """The channels of one dimension (``dim``) of a traced tensor.

    Args:
        elems (np.ndarray): One channel id per entry of ``shape[dim]``.
        dim (int | None): The tracked dimension; None means no dimension
            is tracked (channels unknown).
        shape (tuple): The tensor shape.
        space (ChannelSpace, optional): The space owning the ids (needed
            by :meth:`mark`).
    """

    __slots__ = ('elems', 'dim', 'shape', 'space')

    def __init__(self,
                 elems: np.ndarray,
                 dim: Optional[int],
                 shape: tuple,
                 space: Optional[ChannelSpace] = None) -> None:
        self.elems = elems
        self.dim = dim
        self.shape = tuple(shape)
        self.space = space

    @classmethod
    def fresh(cls,
              space: ChannelSpace,
              shape: tuple,
              dim: Optional[int] = 1,
              reason: Optional[str] = None) -> 'ChannelTensor':
        """New ids for ``shape[dim]`` (marked with ``reason``)."""
        shape = tuple(shape)
        if dim is None or len(shape) == 0:
            return cls(EMPTY_IDS, None, shape, space)
        if dim < 0:
            dim += len(shape)
        if dim >= len(shape):
            return cls(EMPTY_IDS, None, shape, space)
        return cls(space.new(shape[dim], reason), dim, shape, space)

    def mark(self, reason: str) -> None:
        if self.space is not None:
            self.space.mark(self.elems, reason)

    def __len__(self) -> int:
        return len(self.elems)

    def __repr__(self) -> str:
        return f'ChannelTensor(dim={self.dim}, shape={self.shape})'
