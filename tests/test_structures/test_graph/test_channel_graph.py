# Copyright (c) OpenMMLab. All rights reserved.
from mmrazor.structures.graph import BaseGraph, BaseNode, ChannelElem
from mmrazor.structures.graph.channel_graph import reshape_map


def test_reshape_map():
    assert reshape_map((2, 8, 4, 4), 1, (2, 128)) == (1, 16)
    assert reshape_map((2, 8, 4, 4), 1, (2, 8, 16)) == (1, 1)
    assert reshape_map((2, 8, 4, 4), 1, (2, 1, 8, 16)) == (2, 1)
    assert reshape_map((2, 8, 4, 4), 1, (2, 2, 4, 4, 4)) is None
    assert reshape_map((2, 16, 8), 2, (32, 8)) == (1, 1)


def test_channel_elem_union_merges_reasons():
    a, b, c = ChannelElem(), ChannelElem('x'), ChannelElem()
    assert a.prunable
    a.union(b)
    assert not a.prunable and not b.prunable
    assert c.prunable
    c.union(a)
    assert c.root() is a.root() and c.root().reasons == ['x']


def test_topo_sort():
    g = BaseGraph()
    n1, n2, n3 = BaseNode('a'), BaseNode('b'), BaseNode('c')
    for n in (n3, n2, n1):
        g.add_node(n)
    g.connect(n1, n2)
    g.connect(n2, n3)
    assert [n.name for n in g.topo_sort()] == ['a', 'b', 'c']
