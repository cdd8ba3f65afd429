# Copyright (c) OpenMMLab. All rights reserved.
"""Paths found by the :class:`BackwardTracer`.

A :class:`Path` lists the channel modules met when walking the autograd
graph backwards, from a consumer (a Conv/Linear whose input channels the
path describes, or a model output) towards the producer of those channels.
Pass-through modules (norms, depthwise convs) are kept on the path; the
path ends at the first producer (a Conv or Linear, included as the last
node), at a concat (a :class:`PathConcatNode` holding one
:class:`PathList` per concatenated tensor) or at the network input.
A module that is called several times (a shared module) appears once per
call.
"""
from typing import Iterator, List, Optional

from torch import nn


class PathNode:
    """A module on a path.

    Args:
        name (str): The module path in the model (e.g. ``'layer1.0.conv1'``).
        module (nn.Module, optional): The module.
    """

    def __init__(self, name: str, module: Optional[nn.Module] = None) -> None:
        self.name = name
        self.module = module

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and \
            self.name == other.name  # type: ignore

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.name!r})'


class PathConvNode(PathNode):
    """A (non depthwise) convolution: it produces new channels, so a path
    ends at it."""


class PathDepthWiseConvNode(PathConvNode):
    """A depthwise convolution: its output channels are its input channels,
    so a path passes through it."""


class PathLinearNode(PathNode):
    """A Linear layer: it produces new channels, so a path ends at it."""


class PathNormNode(PathNode):
    """A norm layer (BatchNorm, LayerNorm, GroupNorm): channels pass
    through it."""


class PathConcatNode(PathNode):
    """A concat of several tensors along a dim.

    Args:
        name (str): Name of the concat op.
        path_lists (List[PathList]): One path list per concatenated
            tensor, in concat order.
        dim (int): The concat dim. Defaults to 1.
    """

    def __init__(self,
                 name: str,
                 path_lists: List['PathList'],
                 dim: int = 1) -> None:
        super().__init__(name)
        self.path_lists = list(path_lists)
        self.dim = dim

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathConcatNode) and \
            self.name == other.name and self.path_lists == other.path_lists

    def __hash__(self) -> int:
        return hash(('PathConcatNode', self.name))

    def __len__(self) -> int:
        return len(self.path_lists)

    def __getitem__(self, i: int) -> 'PathList':
        return self.path_lists[i]

    def __repr__(self) -> str:
        return f'PathConcatNode({self.name!r}, {self.path_lists!r})'


class Path(list):
    """A list of :class:`PathNode` from a consumer back to a producer."""

    @property
    def node_names(self) -> List[str]:
        """Names of the nodes (a concat contributes its own name)."""
        return [n.name for n in self]

    def __repr__(self) -> str:
        return f'Path({list.__repr__(self)})'


class PathList(list):
    """A list of :class:`Path`."""

    def iter_nodes(self) -> Iterator[PathNode]:
        """Every node, recursing into the branches of concats."""
        for path in self:
            for node in path:
                yield node
                if isinstance(node, PathConcatNode):
                    for sub in node.path_lists:
                        yield from sub.iter_nodes()

    def module_names(self) -> List[str]:
        """Names of the module nodes (no concats), each once, in order of
        appearance."""
        seen: List[str] = []
        for node in self.iter_nodes():
            if not isinstance(node, PathConcatNode) and node.name not in seen:
                seen.append(node.name)
        return seen

    def to_names(self) -> list:
        """The paths as nested lists of names; a concat becomes
        ``{name: [branch path lists]}``."""
        out = []
        for path in self:
            names = []
            for node in path:
                if isinstance(node, PathConcatNode):
                    names.append(
                        {node.name: [pl.to_names() for pl in node.path_lists]})
                else:
                    names.append(node.name)
            out.append(names)
        return out

    def __repr__(self) -> str:
        return f'PathList({list.__repr__(self)})'


__all__ = [
    'PathNode', 'PathConvNode', 'PathDepthWiseConvNode', 'PathLinearNode',
    'PathNormNode', 'PathConcatNode', 'Path', 'PathList'
]
