# Copyright (c) OpenMMLab. All rights reserved.
"""Minimal directed graph with topological sort."""
from collections import OrderedDict
from typing import Any, Dict, Generic, Iterator, List, TypeVar


class BaseNode:
    """A graph node.

    Args:
        name (str): Unique name.
        val (Any): Payload.
    """

    def __init__(self, name: str, val: Any = None) -> None:
        self.name = name
        self.val = val
        self.prev_nodes: List['BaseNode'] = []
        self.next_nodes: List['BaseNode'] = []

    def add_prev(self, node: 'BaseNode') -> None:
        if node not in self.prev_nodes:
            self.prev_nodes.append(node)
        if self not in node.next_nodes:
            node.next_nodes.append(self)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.name})'


NODE = TypeVar('NODE', bound=BaseNode)


class BaseGraph(Generic[NODE]):
    """Nodes kept in insertion order with edges between them."""

    def __init__(self) -> None:
        self.nodes: Dict[str, NODE] = OrderedDict()

    def add_node(self, node: NODE) -> NODE:
        if node.name in self.nodes:
            raise KeyError(f'node {node.name} already in the graph')
        self.nodes[node.name] = node
        return node

    def connect(self, pre: NODE, post: NODE) -> None:
        post.add_prev(pre)

    def __iter__(self) -> Iterator[NODE]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def topo_sort(self) -> List[NODE]:
        """Nodes in topological order (Kahn).

        Raises:
            RuntimeError: The graph has a cycle.
        """
        indeg = {n.name: len(n.prev_nodes) for n in self}
        ready = [n for n in self if indeg[n.name] == 0]
        order: List[NODE] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for nxt in node.next_nodes:
                indeg[nxt.name] -= 1
                if indeg[nxt.name] == 0:
                    ready.append(nxt)
        if len(order) != len(self):
            raise RuntimeError('graph has a cycle')
        return order
