# Copyright (c) OpenMMLab. All rights reserved.
"""Topology tracing by walking the autograd graph of a pseudo loss.

The :class:`BackwardTracer` runs a pseudo loss (a scalar that depends on
every output of the model) and walks ``grad_fn`` back from it. Autograd
nodes are mapped to modules by parameter identity (the ``AccumulateGrad``
node of a parameter holds the parameter, whose owner is known), the forward
order of the nodes is their autograd sequence number, and the shapes of the
forward outputs are read from the nodes' input metadata. Module hooks make
the network input a grad leaf and record the sequence-number range of every
module call: it gives the module path of every op, and an FX-leaf module
whose forward records several ops becomes one op, as in the FX graph. The
pseudo loss runs on fake tensors when possible (shapes only, no compute).
Unlike torch.fx, nothing has to be symbolically traceable (data-dependent
control flow is fine), but only ops that depend on a parameter or on the
input are seen.

It produces a :class:`PathList` (``trace``) and the op records
(``trace_ops``) from which ``ModuleGraph.init_from_backward_tracer`` builds
the same op graph as the FX path of the :class:`ChannelAnalyzer`.
"""
import functools
import operator
import sys
import warnings
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from mmrazor.registry import TASK_UTILS
from mmrazor.utils.config_dict import as_config_dict
from .parsers import output_dtypes, output_shapes, parse_grad_fn
from .path import (Path, PathConcatNode, PathConvNode, PathDepthWiseConvNode,
                   PathLinearNode, PathList, PathNode, PathNormNode)


class TracedOp:
    """One forward op recovered from the autograd graph.

    Its fields are those of a torch.fx node (see
    :class:`mmrazor.structures.graph.ModuleNode`).

    Args:
        name (str): Unique name.
        op (str): 'placeholder', 'get_attr', 'call_module',
            'call_function' or 'output'.
        target (Any): Module path, function name or ``operator.getitem``.
        module (nn.Module, optional): The module of a 'call_module' op.
        module_path (str): Path of the module the op belongs to.
        args (tuple): Arguments; input ops are :class:`TracedOp`.
        kwargs (dict): Keyword arguments.
        value (Any): Meta tensor(s) with the shape of the output.
    """

    def __init__(self,
                 name: str,
                 op: str,
                 target: Any,
                 module: Optional[nn.Module] = None,
                 module_path: str = '',
                 args: tuple = (),
                 kwargs: Optional[dict] = None,
                 value: Any = None) -> None:
        self.name = name
        self.op = op
        self.target = target
        self.module = module
        self.module_path = module_path
        self.args = args
        self.kwargs = kwargs or {}
        self.value = value

    def input_ops(self) -> List['TracedOp']:
        """The input ops, each once, in argument order."""
        found: List[TracedOp] = []

        def visit(a):
            if isinstance(a, TracedOp):
                if all(a is not f for f in found):
                    found.append(a)
            elif isinstance(a, (list, tuple)):
                for x in a:
                    visit(x)
            elif isinstance(a, dict):
                for x in a.values():
                    visit(x)

        visit(self.args)
        visit(self.kwargs)
        return found

    def __repr__(self) -> str:
        target = self.target if isinstance(self.target, str) else getattr(
            self.target, '__name__', str(self.target))
        return f'TracedOp({self.name}, {self.op}, {target})'


class _ParamRef:
    """Parameters (or a tensor computed from parameters only)."""

    def __init__(self, params: List[Tensor], shape: Tuple[int, ...],
                 key: int) -> None:
        self.params = params
        self.shape = shape
        self.key = key


def _meta(shape: Sequence[int], dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.empty(tuple(shape), dtype=dtype, device='meta')


class _LeafChecker:
    """Whether the FX path of the channel analysis sees a module as one
    op (the same leaves as :class:`FxTracer`, plus ``leaf_modules``)."""

    def __init__(self, leaf_modules: Sequence = ()) -> None:
        from .fx.fx_tracer import FxTracer
        self.tracer = FxTracer(leaf_module=list(leaf_modules))
        self._cache: Dict[int, bool] = {}

    def __call__(self, module: nn.Module, path: str) -> bool:
        key = id(module)
        if key not in self._cache:
            self._cache[key] = bool(self.tracer.is_leaf_module(module, path))
        return self._cache[key]


class _Recorder:
    """Runs the pseudo loss with hooks on every module.

    The hooks turn module inputs that need no gradient (the network input)
    into leaves that do, so that they appear in the autograd graph, and
    record the autograd sequence-number range of every module call, which
    gives the module path of every node.
    """

    def __init__(self, model: nn.Module, convert_inputs: bool) -> None:
        self.model = model
        self.convert_inputs = convert_inputs
        self.leaves: Dict[int, Tensor] = {}
        # (start, end, path, module) of every module call
        self.calls: List[Tuple[int, int, str, nn.Module]] = []
        self._stack: List[int] = []
        self._probe = torch.zeros((), requires_grad=True)

    def _seq(self) -> int:
        return (self._probe * 1.0).grad_fn._sequence_nr()

    def _leaf(self, a: Any) -> Any:
        if isinstance(a, Tensor):
            if a.is_floating_point() and not a.requires_grad:
                leaf = a.detach().requires_grad_(True)
                self.leaves[id(leaf)] = leaf
                return leaf
            return a
        if type(a) in (list, tuple):
            return type(a)(self._leaf(x) for x in a)
        return a

    def _pre(self, path: str, module: nn.Module, args: tuple, kwargs: dict):
        self._stack.append(self._seq())
        if self.convert_inputs:
            return (tuple(self._leaf(a) for a in args), {
                k: self._leaf(v)
                for k, v in kwargs.items()
            })
        return None

    def _post(self, path: str, module: nn.Module, args: Any, out: Any):
        end = self._seq()
        start = self._stack.pop() if self._stack else end
        self.calls.append((start, end, path, module))

    def run(self, loss_calculator: Callable, fake: bool = False) -> Tensor:
        handles = []
        for path, module in self.model.named_modules():
            handles.append(
                module.register_forward_pre_hook(
                    functools.partial(self._pre, path), with_kwargs=True))
            handles.append(
                module.register_forward_hook(
                    functools.partial(self._post, path)))
        try:
            with torch.enable_grad():
                if not fake:
                    return loss_calculator(self.model)
                from torch._subclasses.fake_tensor import FakeTensorMode
                with FakeTensorMode(allow_non_fake_inputs=True):
                    return loss_calculator(self.model)
        finally:
            for h in handles:
                h.remove()


class _OpBuilder:
    """Turns the autograd graph of a loss into :class:`TracedOp` s."""

    def __init__(self, model: nn.Module, recorder: _Recorder, loss: Tensor,
                 is_leaf: _LeafChecker) -> None:
        self.model = model
        self.rec = recorder
        self.loss = loss
        self.is_leaf = is_leaf
        # parameter identity -> (owner module path, owner, param name)
        self.param_owner: Dict[int, Tuple[str, nn.Module, str]] = {}
        for path, module in model.named_modules():
            for pname, p in module.named_parameters(recurse=False):
                self.param_owner.setdefault(id(p), (path, module, pname))
        self.ops: List[TracedOp] = []
        self.op_of: Dict[int, TracedOp] = {}
        self._getitems: Dict[Tuple[int, int], TracedOp] = {}
        self._leaf_ops: Dict[int, TracedOp] = {}
        self._attr_ops: Dict[int, TracedOp] = {}
        self._derived: Dict[int, _ParamRef] = {}
        # (id(grad_fn), output nr) -> (collapsed leaf-module op, index)
        self._collapsed: Dict[Tuple[int, int], Tuple[TracedOp,
                                                     Optional[int]]] = {}
        self._names: Dict[str, int] = defaultdict(int)

    # ---------------------------------------------------------------- utils
    def _name(self, base: str) -> str:
        base = base.replace('.', '_') or 'op'
        n = self._names[base]
        self._names[base] += 1
        return base if n == 0 else f'{base}_{n}'

    def _add(self, op: TracedOp) -> TracedOp:
        self.ops.append(op)
        return op

    def _add_module_call(self, path: str, module: nn.Module, args: tuple,
                         value: Any) -> TracedOp:
        """Add the 'call_module' op of ``module`` (at ``path``)."""
        return self._add(
            TracedOp(
                self._name(path),
                'call_module',
                path,
                module=module,
                module_path=path,
                args=args,
                value=value))

    @staticmethod
    def _is_accumulate(fn: Any) -> bool:
        return type(fn).__name__ == 'AccumulateGrad'

    def _value(self, fn: Any) -> Any:
        shapes = output_shapes(fn)
        dtypes = output_dtypes(fn) or [torch.float32] * len(shapes)
        metas = [_meta(s, d) for s, d in zip(shapes, dtypes)]
        if len(metas) == 1:
            return metas[0]
        return tuple(metas)

    def _const(self, shape: Sequence[int], hint: str) -> TracedOp:
        return self._add(
            TracedOp(self._name(hint), 'get_attr', hint, value=_meta(shape)))

    def _attr_op(self, ref: _ParamRef) -> TracedOp:
        if ref.key not in self._attr_ops:
            p = ref.params[0]
            path, _, pname = self.param_owner[id(p)]
            target = f'{path}.{pname}' if path else pname
            self._attr_ops[ref.key] = self._add(
                TracedOp(
                    self._name(target),
                    'get_attr',
                    target,
                    module_path=path,
                    value=_meta(ref.shape)))
        return self._attr_ops[ref.key]

    def _resolve(self, slot: Tuple[Any, int]) -> Any:
        """The op (or parameter reference) an input slot refers to."""
        fn, nr = slot
        if fn is None:
            return None
        if self._is_accumulate(fn):
            var = fn.variable
            if id(var) in self.param_owner:
                return _ParamRef([var], tuple(var.shape), id(fn))
            if id(fn) not in self._leaf_ops:
                if id(var) in self.rec.leaves:
                    op = TracedOp(
                        self._name('input'),
                        'placeholder',
                        'input',
                        value=_meta(var.shape, var.dtype))
                else:
                    op = TracedOp(
                        self._name('constant'),
                        'get_attr',
                        'constant',
                        value=_meta(var.shape, var.dtype))
                self._leaf_ops[id(fn)] = self._add(op)
            return self._leaf_ops[id(fn)]
        if id(fn) in self._derived:
            return self._derived[id(fn)]
        if (id(fn), nr) in self._collapsed:
            op, index = self._collapsed[(id(fn), nr)]
            return op if index is None else self._getitem(op, index)
        op = self.op_of.get(id(fn))
        if op is None:
            return None
        if isinstance(op.value, tuple):
            return self._getitem(op, nr)
        return op

    def _getitem(self, op: TracedOp, index: int) -> TracedOp:
        key = (id(op), index)
        if key not in self._getitems:
            self._getitems[key] = self._add(
                TracedOp(
                    self._name('getitem'),
                    'call_function',
                    operator.getitem,
                    module_path=op.module_path,
                    args=(op, index),
                    value=op.value[index]))
        return self._getitems[key]

    # ---------------------------------------------------------------- build
    def _collect(self) -> List[Any]:
        root = self.loss.grad_fn
        seen = {id(root): root}
        stack = [root]
        while stack:
            fn = stack.pop()
            for nxt, _ in fn.next_functions:
                if nxt is not None and id(nxt) not in seen:
                    seen[id(nxt)] = nxt
                    stack.append(nxt)
        nodes = [f for f in seen.values() if not self._is_accumulate(f)]
        nodes.sort(key=lambda f: f._sequence_nr())
        return nodes

    def _scalar_tail(self) -> Tuple[set, List[Tuple[Any, int]]]:
        """The scalar ops of the pseudo loss after the model outputs, and
        the model outputs (slots) they read."""
        root = self.loss.grad_fn
        tail, outputs = set(), []
        if not all(len(s) == 0 for s in output_shapes(root)):
            return tail, [(root, i) for i in range(len(output_shapes(root)))]
        stack = [root]
        tail.add(id(root))
        while stack:
            fn = stack.pop()
            for nxt, nr in fn.next_functions:
                if nxt is None or self._is_accumulate(nxt):
                    continue
                shapes = output_shapes(nxt)
                if shapes and all(len(s) == 0 for s in shapes):
                    if id(nxt) not in tail:
                        tail.add(id(nxt))
                        stack.append(nxt)
                elif (nxt, nr) not in outputs:
                    outputs.append((nxt, nr))
        return tail, outputs

    def _calls_of(self,
                  nodes: List[Any]) -> Tuple[Dict[int, Any], Dict[int, Any]]:
        """The innermost module call of every node, and the outermost call
        of an FX-leaf module around it (or None)."""
        calls = sorted(self.rec.calls, key=lambda c: c[0])
        inner: Dict[int, Any] = {}
        leaf: Dict[int, Any] = {}
        stack: List[Any] = []
        ci = 0
        for fn in nodes:
            s = fn._sequence_nr()
            while ci < len(calls) and calls[ci][0] < s:
                c = calls[ci]
                while stack and stack[-1][1] < c[0]:
                    stack.pop()
                stack.append(c)
                ci += 1
            while stack and stack[-1][1] < s:
                stack.pop()
            inner[id(fn)] = stack[-1] if stack else None
            leaf[id(fn)] = next(
                (c for c in stack if c[2] and self.is_leaf(c[3], c[2])), None)
        return inner, leaf

    def _is_param_slot(self, slot: Tuple[Any, int]) -> bool:
        fn = slot[0]
        if self._is_accumulate(fn):
            return id(fn.variable) in self.param_owner
        return id(fn) in self._derived

    def _find_derived(self, nodes: List[Any]) -> None:
        """Nodes computed from parameters only (e.g. a transposed
        weight) stand for those parameters."""
        for fn in nodes:
            # a missing slot is an input that needs no gradient (data)
            slots = list(fn.next_functions)
            if slots and all(s[0] is not None and self._is_param_slot(s)
                             for s in slots):
                params = []
                for s in slots:
                    ref = self._resolve(s)
                    params.extend(ref.params)
                shapes = output_shapes(fn)
                self._derived[id(fn)] = _ParamRef(params,
                                                  shapes[0] if shapes else (),
                                                  id(fn))

    def build(self) -> List[TracedOp]:
        nodes = self._collect()
        tail, outputs = self._scalar_tail()
        self._find_derived(nodes)
        nodes = [
            fn for fn in nodes
            if id(fn) not in tail and id(fn) not in self._derived
        ]
        inner, leaf = self._calls_of(nodes)
        count: Dict[int, int] = defaultdict(int)
        groups: Dict[int, List[Any]] = defaultdict(list)
        for fn in nodes:
            if inner[id(fn)] is not None:
                count[id(inner[id(fn)])] += 1
            if leaf[id(fn)] is not None:
                groups[id(leaf[id(fn)])].append(fn)
        # an FX-leaf module whose forward records several ops becomes one
        # op, as in the FX graph
        member = {
            id(fn): key
            for key, fns in groups.items() if len(fns) > 1 for fn in fns
        }
        group_outs: Dict[int, List[Tuple[Any, int]]] = defaultdict(list)
        consumers = [(id(fn), fn.next_functions) for fn in nodes]
        consumers.append((0, tuple(outputs)))
        for cid, slots in consumers:
            for nxt, nr in slots:
                if nxt is None or id(nxt) not in member or \
                        member.get(cid) == member[id(nxt)]:
                    continue
                outs = group_outs[member[id(nxt)]]
                if all(nxt is not o[0] or nr != o[1] for o in outs):
                    outs.append((nxt, nr))
        for fn in nodes:
            key = member.get(id(fn))
            if key is not None:
                if fn is groups[key][-1]:
                    self._collapse(leaf[id(fn)], groups[key], group_outs[key])
                continue
            refs = [self._resolve(s) for s in fn.next_functions]
            call = inner[id(fn)]
            self.op_of[id(fn)] = self._build_op(fn, refs, call,
                                                count[id(call)])
        out_refs = []
        for slot in outputs:
            r = self._resolve(slot)
            if isinstance(r, _ParamRef):
                r = self._attr_op(r)
            if r is not None:
                out_refs.append(r)
        self._add(
            TracedOp(
                self._name('output'),
                'output',
                'output',
                args=(tuple(out_refs), )))
        return self.ops

    def _collapse(self, call: Any, fns: List[Any],
                  outs: List[Tuple[Any, int]]) -> None:
        """One 'call_module' op for every op recorded in a leaf call."""
        members = {id(f) for f in fns}
        args: List[TracedOp] = []
        for fn in fns:
            for slot in fn.next_functions:
                if slot[0] is None or id(slot[0]) in members:
                    continue
                r = self._resolve(slot)
                if isinstance(r, TracedOp) and all(r is not a for a in args):
                    args.append(r)
        values = []
        for fn, nr in outs:
            shapes, dtypes = output_shapes(fn), output_dtypes(fn)
            values.append(_meta(shapes[nr], dtypes[nr]))
        path, module = call[2], call[3]
        op = self._add_module_call(
            path, module, tuple(args),
            values[0] if len(values) == 1 else tuple(values))
        for i, (fn, nr) in enumerate(outs):
            self._collapsed[(id(fn), nr)] = (op, None if len(outs) == 1 else i)

    def _build_op(self, fn: Any, refs: List[Any], call: Any,
                  n_in_call: int) -> TracedOp:
        value = self._value(fn)
        call_path = call[2] if call is not None else ''
        params = [
            p for r in refs if isinstance(r, _ParamRef) for p in r.params
        ]
        module, path = None, ''
        if params:
            owners = {self.param_owner[id(p)][0] for p in params}
            owner = self.param_owner[id(params[0])][1]
            # the op is the module's own call only when it runs inside the
            # module's forward (not when another module reads its weights)
            if len(owners) == 1 and call is not None and call[3] is owner:
                path, module = owners.pop(), owner
        elif call is not None and n_in_call == 1 and not any(
                True for _ in call[3].parameters(recurse=False)):
            # the only op of a parameter-free module (ReLU, pooling,
            # Flatten, a norm without affine parameters, ...)
            path, module = call[2], call[3]
        if module is not None and self.is_leaf(module, path):
            data = tuple(
                r for r in refs
                if r is not None and not isinstance(r, _ParamRef))
            return self._add_module_call(path, module, data, value)
        inputs = [
            self._attr_op(r) if isinstance(r, _ParamRef) else r for r in refs
        ]
        shapes = output_shapes(fn)
        target, args, kwargs = parse_grad_fn(fn, inputs,
                                             shapes[0] if shapes else (),
                                             self._const)
        base = target if isinstance(target, str) else getattr(
            target, '__name__', 'op')
        return self._add(
            TracedOp(
                self._name(base),
                'call_function',
                target,
                module_path=call_path,
                args=args,
                kwargs=kwargs,
                value=value))


def _build_loss_calculator(cfg: Any) -> Callable:
    if cfg is None:
        from .loss_calculator import SumPseudoLoss
        return SumPseudoLoss()
    cfg = as_config_dict(cfg)
    if isinstance(cfg, dict):
        cfg = dict(cfg)
        if isinstance(cfg.get('type'), str) and '.' not in cfg['type']:
            cfg.setdefault('_scope_', 'mmrazor')
        return TASK_UTILS.build(cfg)
    if not callable(cfg):
        raise TypeError('BackwardTracer: loss_calculator must be a config '
                        'dict or a callable taking the model, got '
                        f'{type(cfg).__name__}')
    return cfg


@TASK_UTILS.register_module()
class BackwardTracer:
    """Traces a model by walking ``grad_fn`` back from a pseudo loss.

    Args:
        loss_calculator (dict | Callable, optional): The pseudo loss, a
            config (e.g. ``dict(type='ImageClassifierPseudoLoss',
            input_shape=(2, 3, 32, 32))``) or a callable ``f(model) ->
            Tensor``. Defaults to ``SumPseudoLoss()`` (sums every output
            of ``model(torch.rand(2, 3, 224, 224))``).
        leaf_modules (Sequence): Module paths, class names or classes
            recorded as one op each (their channels are kept), besides the
            leaves of :class:`FxTracer` (Conv, Linear, norms, ``torch.nn``
            modules, dynamic ops). Defaults to ().
        fake_mode (bool): Run the pseudo loss on fake tensors (shapes
            only, no compute; falls back to a real run when the model
            does not support it). Defaults to True.

    Example:
        >>> tracer = BackwardTracer(
        ...     dict(type='SumPseudoLoss', input_shape=(1, 3, 16, 16)))
        >>> path_list = tracer.trace(model)
        >>> graph = ModuleGraph.init_from_backward_tracer(model, tracer)
    """

    def __init__(self,
                 loss_calculator: Union[Dict, Callable, None] = None,
                 leaf_modules: Sequence = (),
                 fake_mode: bool = True) -> None:
        self.loss_calculator = _build_loss_calculator(loss_calculator)
        self.leaf_modules = list(leaf_modules)
        self.fake_mode = fake_mode

    def trace_ops(self, model: nn.Module) -> List[TracedOp]:
        """The forward ops of ``model``, in execution order, ending with
        an 'output' op that reads the model outputs.

        The model runs in eval mode with every parameter requiring grad;
        both are restored afterwards and no gradient is computed.

        Args:
            model (nn.Module): The model.

        Returns:
            List[TracedOp]: The ops.

        Raises:
            RuntimeError: The pseudo loss does not depend on the model.
        """
        modes = [(m, m.training) for m in model.modules()]
        flags = [(p, p.requires_grad) for p in model.parameters()]
        try:
            model.eval()
            for p, _ in flags:
                p.requires_grad_(True)
            rec, loss = self._run(model)
            if not isinstance(loss, Tensor) or loss.grad_fn is None:
                raise RuntimeError(
                    f'BackwardTracer: the pseudo loss '
                    f'{type(self.loss_calculator).__name__} of '
                    f'{type(model).__name__} does not depend on any '
                    'parameter (got '
                    f'{type(loss).__name__}); check the loss_calculator')
            return _OpBuilder(model, rec, loss,
                              _LeafChecker(self.leaf_modules)).build()
        finally:
            for p, flag in flags:
                p.requires_grad_(flag)
            for m, mode in modes:
                m.training = mode

    def _run(self, model: nn.Module) -> Tuple[_Recorder, Any]:
        # shapes are all that is needed: run on fake tensors (no compute)
        # when the model allows it, else for real
        error: Optional[Exception] = None
        for fake in ((True, False) if self.fake_mode else (False, )):
            for convert in (True, False):
                rec = _Recorder(model, convert_inputs=convert)
                try:
                    result = rec, rec.run(self.loss_calculator, fake=fake)
                except Exception as e:  # noqa: BLE001  re-raised or told
                    error = e
                    # an in-place op on the raw input: retry without
                    # making the input a leaf (its channels are then not
                    # tracked)
                    if not (convert and 'leaf Variable' in str(e)):
                        break
                    continue
                if error is not None:
                    warnings.warn(
                        f'{__name__}: BackwardTracer: the first run of '
                        f'{type(model).__name__} failed '
                        f'({type(error).__name__}: {str(error)[:200]}); '
                        f'traced with fake={fake}, convert_inputs='
                        f'{convert} instead')
                return result
        assert error is not None
        raise error

    def trace(self, model: nn.Module) -> PathList:
        """The paths of ``model``.

        The list holds the paths from the model outputs first, then, for
        every Conv/Linear call in execution order, the paths from its input
        (starting with that Conv/Linear).

        Args:
            model (nn.Module): The model.

        Returns:
            PathList: The paths.
        """
        return ops_to_path_list(self.trace_ops(model))


# ----------------------------------------------------------------- paths
def _path_node(op: TracedOp) -> Tuple[str, Optional[PathNode]]:
    if op.op == 'placeholder':
        return 'input', None
    if op.op == 'get_attr':
        return 'const', None
    if op.op == 'call_function' and op.target == 'cat':
        return 'cat', None
    if op.op != 'call_module':
        return 'other', None
    m = op.module
    if isinstance(m, nn.Conv2d):
        if m.groups > 1 and m.groups == m.in_channels == m.out_channels:
            return 'pass', PathDepthWiseConvNode(op.target, m)
        return 'producer', PathConvNode(op.target, m)
    if isinstance(m, nn.Linear):
        return 'producer', PathLinearNode(op.target, m)
    if isinstance(m, (_BatchNorm, nn.LayerNorm, nn.GroupNorm, _InstanceNorm)):
        return 'pass', PathNormNode(op.target, m)
    return 'other', None


def ops_to_path_list(ops: List[TracedOp]) -> PathList:
    """Group traced ops into a :class:`PathList` (see :mod:`.path`).

    Args:
        ops (List[TracedOp]): Ops from :meth:`BackwardTracer.trace_ops`.

    Returns:
        PathList: The paths.
    """
    memo: Dict[int, List[Path]] = {}
    nodes: Dict[int, Tuple[str, Optional[PathNode]]] = {
        id(op): _path_node(op)
        for op in ops
    }

    def from_inputs(op: TracedOp) -> List[Path]:
        found: List[Path] = []
        seen = set()
        inputs = op.input_ops()
        if not inputs:
            return [Path()]
        for i in inputs:
            for p in back(i):
                # branches that meet again give the same path once
                key = tuple(id(n) for n in p)
                if key not in seen:
                    seen.add(key)
                    found.append(p)
        return found

    def back(op: TracedOp) -> List[Path]:
        # every op is expanded once (memo); the recursion is at most as
        # deep as the op list, the recursion limit is raised to match
        if id(op) in memo:
            return memo[id(op)]
        kind, node = nodes[id(op)]
        if kind == 'input':
            result = [Path()]
        elif kind == 'const':
            result = []
        elif kind == 'producer':
            result = [Path([node])]
        elif kind == 'cat':
            branches = [
                PathList(Path(p) for p in back(t)) for t in op.args[0]
                if isinstance(t, TracedOp)
            ]
            dim = op.args[1] if len(op.args) > 1 else 0
            result = [Path([PathConcatNode(op.name, branches, dim)])]
        elif kind == 'pass':
            result = [Path([node] + p) for p in from_inputs(op)]
        else:
            result = from_inputs(op)
        memo[id(op)] = result
        return result

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(ops) + 1000))
    try:
        paths = PathList()
        out = [op for op in ops if op.op == 'output']
        for op in out:
            for i in op.input_ops():
                paths.extend(Path(p) for p in back(i))
        for op in ops:
            kind, node = nodes[id(op)]
            if kind == 'producer':
                paths.extend(Path([node] + p) for p in from_inputs(op))
    finally:
        sys.setrecursionlimit(limit)
    return paths


# -------------------------------------------------- channel analysis glue
class DemoInputPseudoLoss:
    """Sum of the outputs of the demo forward the :class:`ChannelAnalyzer`
    runs (same wrapping of mm models as its FX path).

    Args:
        data (Any): The demo data (a tensor or an mm data dict).
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    def __call__(self, model: nn.Module) -> Tensor:
        from .channel_analyzer import _wrap
        from .loss_calculator.pseudo_losses import sum_outputs
        wrapper, inputs, _ = _wrap(model, self.data)
        return sum_outputs(wrapper(inputs))


def build_graph_by_backward_tracer(analyzer: Any, model: nn.Module,
                                   data: Any) -> Tuple[Any, List[str]]:
    """The op graph of ``model`` for :class:`ChannelAnalyzer` with
    ``tracer_type='BackwardTracer'``.

    Args:
        analyzer (ChannelAnalyzer): The analyzer; its ``backward_tracer``
            (a :class:`BackwardTracer` or its config), when set, is used,
            else the demo forward is traced.
        model (nn.Module): The model.
        data (Any): The demo data.

    Returns:
        tuple: ``(ModuleGraph, notes)``.
    """
    from mmrazor.structures.graph import ModuleGraph
    from .channel_analyzer import _wrap
    tracer = getattr(analyzer, 'backward_tracer', None)
    notes: List[str] = []
    if tracer is None:
        tracer = BackwardTracer(
            DemoInputPseudoLoss(data), leaf_modules=analyzer.leaf_modules)
        notes = _wrap(model, data)[2]
    elif isinstance(as_config_dict(tracer), dict):
        tracer = TASK_UTILS.build(
            dict(as_config_dict(tracer), _scope_='mmrazor'))
    graph = ModuleGraph.init_from_backward_tracer(model, tracer)
    return graph, notes


def build_backward_channel_analyzer(parse_cfg: Dict) -> Any:
    """A :class:`ChannelAnalyzer` from a ``ChannelMutator`` parse config
    ``dict(type='BackwardTracer', loss_calculator=..., demo_input=...)``.

    The graph is traced with the given pseudo loss; the demo input (by
    default the pseudo loss input shape with batch 1) checks the units.

    Args:
        parse_cfg (dict): The parse config.

    Returns:
        ChannelAnalyzer: The analyzer.
    """
    from .channel_analyzer import ChannelAnalyzer
    cfg = {
        k: v
        for k, v in dict(parse_cfg).items()
        if k not in ('type', '_scope_', 'from_cfg')
    }
    loss_cfg = cfg.pop('loss_calculator', None)
    demo_input = cfg.pop('demo_input', None)
    tracer = BackwardTracer(loss_cfg)
    if demo_input is None:
        shape = getattr(tracer.loss_calculator, 'input_shape', None)
        demo_input = (1, ) + tuple(shape[1:]) if shape else (1, 3, 224, 224)
    analyzer = ChannelAnalyzer(
        demo_input=demo_input, tracer_type='BackwardTracer', **cfg)
    analyzer.backward_tracer = tracer
    return analyzer


__all__ = [
    'BackwardTracer', 'TracedOp', 'ops_to_path_list', 'DemoInputPseudoLoss',
    'build_graph_by_backward_tracer', 'build_backward_channel_analyzer'
]
