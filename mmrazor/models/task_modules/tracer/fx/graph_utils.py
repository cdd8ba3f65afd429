# Copyright (c) OpenMMLab. All rights reserved.
"""Remove redundant fake-quants from a prepared FX graph.

Backends do not quantize every edge: e.g. OpenVINO has no fake-quant
before ``ReLU6``/``Identity`` or after ``MaxPool2d``/``flatten``. Each
``del_fakequant_{before,after}_{op,module,function,method}`` helper finds
the matching nodes and drops the activation fake-quants (observers) on
their inputs (``before``) or outputs (``after``).
"""
from typing import Any, Callable, Iterable, List, Tuple, Union

import torch.nn as nn
from torch.fx import GraphModule, Node

from mmrazor.structures.quantization.torch_ao import \
    is_activation_post_process

__all__ = [
    'del_fakequant_before_op', 'del_fakequant_after_op',
    'del_fakequant_before_module', 'del_fakequant_after_module',
    'del_fakequant_before_function', 'del_fakequant_after_function',
    'del_fakequant_before_method', 'del_fakequant_after_method',
    'is_fakequant_node'
]


def is_fakequant_node(node: Node, modules: dict) -> bool:
    """Whether ``node`` calls an observer / fake-quant module."""
    return node.op == 'call_module' and \
        is_activation_post_process(modules.get(node.target))


def _as_tuple(values: Union[Any, Iterable]) -> Tuple:
    if isinstance(values, (list, tuple, set)):
        return tuple(values)
    return (values, )


def _remove_fakequant_node(prepared: GraphModule, fq_node: Node) -> None:
    """Bypass ``fq_node`` and delete it (and its module) from the graph."""
    fq_node.replace_all_uses_with(fq_node.args[0])
    prepared.graph.erase_node(fq_node)
    target = fq_node.target
    parent_path, _, name = target.rpartition('.')
    parent = prepared.get_submodule(parent_path) if parent_path \
        else prepared
    if hasattr(parent, name):
        delattr(parent, name)


def _del_before(prepared: GraphModule, match: Callable[[Node, dict], bool],
                inplace: bool) -> GraphModule:
    if not inplace:
        import copy
        prepared = copy.deepcopy(prepared)
    modules = dict(prepared.named_modules(remove_duplicate=False))
    for node in list(prepared.graph.nodes):
        if not match(node, modules):
            continue
        for arg in list(node.all_input_nodes):
            if not is_fakequant_node(arg, modules):
                continue
            # Only this node stops using the fake-quant.
            node.replace_input_with(arg, arg.args[0])
            if len(arg.users) == 0:
                _remove_fakequant_node(prepared, arg)
                modules.pop(arg.target, None)
    prepared.graph.lint()
    prepared.recompile()
    return prepared


def _del_after(prepared: GraphModule, match: Callable[[Node, dict], bool],
               inplace: bool) -> GraphModule:
    if not inplace:
        import copy
        prepared = copy.deepcopy(prepared)
    modules = dict(prepared.named_modules(remove_duplicate=False))
    for node in list(prepared.graph.nodes):
        if not match(node, modules):
            continue
        for user in list(node.users):
            if is_fakequant_node(user, modules):
                _remove_fakequant_node(prepared, user)
                modules.pop(user.target, None)
    prepared.graph.lint()
    prepared.recompile()
    return prepared


def _op_matcher(op_patterns) -> Callable:
    ops = _as_tuple(op_patterns)
    return lambda node, modules: node.op in ops


def _module_matcher(module_patterns) -> Callable:
    classes = tuple(
        c for c in _as_tuple(module_patterns)
        if isinstance(c, type) and issubclass(c, nn.Module))
    return lambda node, modules: node.op == 'call_module' and isinstance(
        modules.get(node.target), classes) if classes else False


def _function_matcher(function_patterns) -> Callable:
    functions = _as_tuple(function_patterns)
    return lambda node, modules: node.op == 'call_function' and \
        node.target in functions


def _method_matcher(method_patterns) -> Callable:
    methods = _as_tuple(method_patterns)
    return lambda node, modules: node.op == 'call_method' and \
        node.target in methods


def del_fakequant_before_op(prepared_model: GraphModule,
                            op_patterns: Union[str, List[str]],
                            inplace: bool = True) -> GraphModule:
    """Remove fake-quants feeding nodes whose ``op`` is in
    ``op_patterns`` (e.g. ``'output'``)."""
    return _del_before(prepared_model, _op_matcher(op_patterns), inplace)


def del_fakequant_after_op(prepared_model: GraphModule,
                           op_patterns: Union[str, List[str]],
                           inplace: bool = True) -> GraphModule:
    """Remove fake-quants right after nodes whose ``op`` matches (e.g.
    ``'placeholder'``)."""
    return _del_after(prepared_model, _op_matcher(op_patterns), inplace)


def del_fakequant_before_module(prepared_model: GraphModule,
                                module_patterns,
                                inplace: bool = True) -> GraphModule:
    """Remove fake-quants feeding calls of the given module classes."""
    return _del_before(prepared_model, _module_matcher(module_patterns),
                       inplace)


def del_fakequant_after_module(prepared_model: GraphModule,
                               module_patterns,
                               inplace: bool = True) -> GraphModule:
    """Remove fake-quants right after calls of the given module classes."""
    return _del_after(prepared_model, _module_matcher(module_patterns),
                      inplace)


def del_fakequant_before_function(prepared_model: GraphModule,
                                  function_patterns,
                                  inplace: bool = True) -> GraphModule:
    """Remove fake-quants feeding calls of the given functions."""
    return _del_before(prepared_model, _function_matcher(function_patterns),
                       inplace)


def del_fakequant_after_function(prepared_model: GraphModule,
                                 function_patterns,
                                 inplace: bool = True) -> GraphModule:
    """Remove fake-quants right after calls of the given functions."""
    return _del_after(prepared_model, _function_matcher(function_patterns),
                      inplace)


def del_fakequant_before_method(prepared_model: GraphModule,
                                method_patterns,
                                inplace: bool = True) -> GraphModule:
    """Remove fake-quants feeding calls of the given tensor methods."""
    return _del_before(prepared_model, _method_matcher(method_patterns),
                       inplace)


def del_fakequant_after_method(prepared_model: GraphModule,
                               method_patterns,
                               inplace: bool = True) -> GraphModule:
    """Remove fake-quants right after calls of the given tensor methods."""
    return _del_after(prepared_model, _method_matcher(method_patterns),
                      inplace)
