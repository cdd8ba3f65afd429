# Copyright (c) OpenMMLab. All rights reserved.
"""Op-level graph of a model, built from an FX graph and a demo run."""
import operator
from typing import Any, Dict, List, Optional

from torch import nn

from .base_graph import BaseGraph, BaseNode


class ModuleNode(BaseNode):
    """One traced op.

    Attributes:
        op (str): 'placeholder', 'call_module', 'call_function',
            'call_method', 'get_attr' or 'output'.
        target (Any): The module path, function or method name.
        module (nn.Module | None): The module for 'call_module'.
        module_path (str): Path of the module the op belongs to.
        args / kwargs: The FX arguments (nodes replaced by ModuleNodes).
        value (Any): The value computed by the demo run.
    """

    def __init__(self, name: str, op: str, target: Any,
                 module: Optional[nn.Module], module_path: str, args: tuple,
                 kwargs: dict, value: Any) -> None:
        super().__init__(name, module)
        self.op = op
        self.target = target
        self.module = module
        self.module_path = module_path
        self.args = args
        self.kwargs = kwargs
        self.value = value

    @property
    def target_name(self) -> str:
        if isinstance(self.target, str):
            return self.target
        return getattr(self.target, '__name__', str(self.target))

    def __repr__(self) -> str:
        return f'ModuleNode({self.name}, {self.op}, {self.target_name})'


def _strip(path: str, prefix: str) -> str:
    if prefix and path.startswith(prefix):
        return path[len(prefix):]
    return path


class ModuleGraph(BaseGraph[ModuleNode]):
    """The op graph of a model."""

    @classmethod
    def init_from_fx_graph(cls,
                           graph_module,
                           values: Dict[str, Any],
                           prefix: str = '') -> 'ModuleGraph':
        """Build from a traced ``GraphModule`` and its recorded values.

        Args:
            graph_module (torch.fx.GraphModule): The traced model.
            values (dict): ``{fx node name: value}`` of a demo run.
            prefix (str): Module path prefix to strip (e.g. 'model.').

        Returns:
            ModuleGraph: The graph.
        """
        import torch.fx as fx
        graph = cls()
        mapping: Dict[str, ModuleNode] = {}

        def conv(a):
            return fx.node.map_arg(a, lambda n: mapping[n.name])

        for node in graph_module.graph.nodes:
            module = None
            module_path = ''
            if node.op == 'call_module':
                module = graph_module.get_submodule(node.target)
                module_path = _strip(node.target, prefix)
            else:
                stack = node.meta.get('nn_module_stack') or {}
                if stack:
                    module_path = _strip(list(stack.keys())[-1], prefix)
            target = node.target
            if node.op == 'get_attr':
                target = _strip(node.target, prefix)
            mnode = ModuleNode(node.name, node.op, target, module, module_path,
                               conv(node.args), conv(node.kwargs),
                               values.get(node.name))
            graph.add_node(mnode)
            mapping[node.name] = mnode
            for inp in node.all_input_nodes:
                graph.connect(mapping[inp.name], mnode)
        return graph

    @classmethod
    def init_from_backward_tracer(cls, model: nn.Module,
                                  backward_tracer: Any) -> 'ModuleGraph':
        """Build from the ops a ``BackwardTracer`` recovers from the
        autograd graph of its pseudo loss (same node kinds as
        :meth:`init_from_fx_graph`; values are meta tensors).

        Args:
            model (nn.Module): The model.
            backward_tracer (BackwardTracer): The tracer.

        Returns:
            ModuleGraph: The graph.
        """
        from mmrazor.models.task_modules.tracer.backward_tracer import TracedOp
        graph = cls()
        mapping: Dict[int, ModuleNode] = {}

        def conv(a):
            if isinstance(a, TracedOp):
                return mapping[id(a)]
            if isinstance(a, (list, tuple)):
                return type(a)(conv(x) for x in a)
            if isinstance(a, dict):
                return {k: conv(v) for k, v in a.items()}
            return a

        for op in backward_tracer.trace_ops(model):
            mnode = ModuleNode(op.name, op.op, op.target,
                               op.module, op.module_path, conv(op.args),
                               conv(op.kwargs), op.value)
            graph.add_node(mnode)
            mapping[id(op)] = mnode
            for inp in op.input_ops():
                graph.connect(mapping[id(inp)], mnode)
        return graph

    def ops(self) -> List[ModuleNode]:
        return list(self.nodes.values())


GETITEM = operator.getitem
