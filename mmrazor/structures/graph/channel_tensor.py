# Copyright (c) OpenMMLab. All rights reserved.
"""Union-find of channel dependencies.

Every channel of every traced tensor is a :class:`ChannelElem`. Ops that
tie channels together (residual adds, depthwise convs, shared modules)
union their elements; ops whose channel behaviour is unknown mark them
non-prunable with a reason.
"""
from typing import List, Optional


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


class ChannelTensor:
    """The channels of one dimension (``dim``) of a traced tensor.

    Args:
        elems (list): One element per entry of ``shape[dim]``.
        dim (int | None): The tracked dimension; None means no dimension
            is tracked (channels unknown).
        shape (tuple): The tensor shape.
    """

    def __init__(self, elems: List[ChannelElem], dim: Optional[int],
                 shape: tuple) -> None:
        self.elems = elems
        self.dim = dim
        self.shape = tuple(shape)

    @classmethod
    def fresh(cls,
              shape: tuple,
              dim: Optional[int] = 1,
              reason: Optional[str] = None) -> 'ChannelTensor':
        """New elements for ``shape[dim]`` (marked with ``reason``)."""
        shape = tuple(shape)
        if dim is None or len(shape) == 0:
            return cls([], None, shape)
        if dim < 0:
            dim += len(shape)
        if dim >= len(shape):
            return cls([], None, shape)
        return cls([ChannelElem(reason) for _ in range(shape[dim])], dim,
                   shape)

    def mark(self, reason: str) -> None:
        for e in self.elems:
            e.mark(reason)

    def __len__(self) -> int:
        return len(self.elems)

    def __repr__(self) -> str:
        return f'ChannelTensor(dim={self.dim}, shape={self.shape})'
