# Copyright (c) OpenMMLab. All rights reserved.
from .base_graph import BaseGraph, BaseNode
from .channel_graph import ChannelGraph
from .channel_tensor import ChannelElem, ChannelTensor
from .module_graph import ModuleGraph, ModuleNode

__all__ = [
    'BaseGraph', 'BaseNode', 'ChannelGraph', 'ChannelElem', 'ChannelTensor',
    'ModuleGraph', 'ModuleNode'
]
