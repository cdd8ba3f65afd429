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


def test_connected_components_match_scalar_union_find():
    import numpy as np

    from mmrazor.structures.graph.channel_tensor import (ChannelSpace,
                                                         connected_components)
    rng = np.random.default_rng(0)
    for trial in range(20):
        n = int(rng.integers(1, 60))
        m = int(rng.integers(0, 80))
        a = rng.integers(0, n, m)
        b = rng.integers(0, n, m)
        elems = [ChannelElem() for _ in range(n)]
        for i, j in zip(a, b):
            elems[i].union(elems[j])
        labels = connected_components(n, a, b)
        for i in range(n):
            for j in range(n):
                same = elems[i].root() is elems[j].root()
                assert same == (labels[i] == labels[j])
        # the label is the smallest id of the component
        assert all(labels[i] <= i for i in range(n))
    space = ChannelSpace()
    x, y = space.new(4), space.new(4, 'input')
    assert list(x) == [0, 1, 2, 3] and list(y) == [4, 5, 6, 7]
    space.union(x[:2], y[2:])
    assert list(space.resolve()) == [0, 1, 2, 3, 4, 5, 0, 1]
    assert space.marks[0][1] == 'input'


def test_units_of_concat_and_residual():
    """Unit grouping on a hand-built graph: a residual add ties two convs,
    a concat feeds a third conv at an offset."""
    import torch
    from torch import nn

    from mmrazor.structures.graph import ChannelGraph, ModuleGraph
    from mmrazor.structures.graph.module_graph import ModuleNode

    convs = dict(
        a=nn.Conv2d(3, 4, 1),
        b=nn.Conv2d(3, 4, 1),
        c=nn.Conv2d(3, 2, 1),
        d=nn.Conv2d(6, 5, 1))
    g = ModuleGraph()

    def add(name, op, target, module, args, shape):
        node = ModuleNode(name, op, target, module, module or '', args, {},
                          torch.empty(shape, device='meta'))
        g.add_node(node)
        for arg in args:
            if isinstance(arg, ModuleNode):
                g.connect(arg, node)
            elif isinstance(arg, list):
                for x in arg:
                    g.connect(x, node)
        return node

    x = add('x', 'placeholder', 'x', None, (), (1, 3, 4, 4))
    a = add('a', 'call_module', 'a', convs['a'], (x, ), (1, 4, 4, 4))
    b = add('b', 'call_module', 'b', convs['b'], (x, ), (1, 4, 4, 4))
    s = add('add', 'call_function', torch.add, None, (a, b), (1, 4, 4, 4))
    c = add('c', 'call_module', 'c', convs['c'], (x, ), (1, 2, 4, 4))
    cat = add('cat', 'call_function', torch.cat, None, ([s, c], 1),
              (1, 6, 4, 4))
    d = add('d', 'call_module', 'd', convs['d'], (cat, ), (1, 5, 4, 4))
    add('output', 'output', 'output', None, (d, ), (1, 5, 4, 4))
    for n in g:
        if n.op == 'call_module':
            n.module_path = n.target
    units, rejected = ChannelGraph(g).propagate().generate_units_config()
    assert list(units) == ['a_(0, 4)_4', 'c_(0, 2)_2']
    ab = units['a_(0, 4)_4']['channels']
    assert [c['name'] for c in ab['output_related']] == ['a', 'b']
    assert ab['input_related'] == [
        dict(name='d', start=0, end=4, is_output_channel=False)
    ]
    assert units['c_(0, 2)_2']['channels']['input_related'][0]['start'] == 4
    # the network input and d's outputs (the model output) are kept
    assert rejected == [
        dict(
            unit='a_(0, 3)_3',
            num_channels=3,
            reasons=[
                'network input', 'no Conv/Linear produces these '
                'channels'
            ]),
        dict(
            unit='d_(0, 5)_5',
            num_channels=5,
            reasons=['model output', 'no op consumes these channels'])
    ]
