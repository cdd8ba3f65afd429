# Copyright (c) OpenMMLab. All rights reserved.
"""Eager single-pass tracer of the channel analysis.

One real forward of the model records the op graph that
:class:`~mmrazor.structures.graph.ChannelGraph` reads, with the same node
kinds as the torch.fx path (``placeholder``, ``call_module`` for the leaf
modules, ``call_function``/``call_method`` for the torch ops between them,
``get_attr`` for parameters and constants, ``output``) and the recorded
value (shape) of every node, so no symbolic trace and no separate
recording run is needed:

* module calls are intercepted per instance (the class of each module is
  swapped for a cached subclass during the trace, as in
  :mod:`.fx.instance_patching`): leaf modules (the same ones as
  :class:`~.fx.FxTracer`: conv, linear, norms, ``torch.nn`` modules,
  dynamic ops, ``leaf_modules``) become ``call_module`` nodes; plain
  convolutions and linears only produce zeros of their output shape, eval
  batch norms and elementwise activations a tensor of their input's shape
  (the values are not needed: Python control flow on them stops the
  trace, see below);
* torch functions and tensor methods between them go through a
  ``TorchFunctionMode`` and become ``call_function``/``call_method``
  nodes named as FX names them;
* sizes read from a traced tensor (``size()``, ``shape``, ``dim()``,
  ``numel()``) are ints that remember their node, as are the ints computed
  from them, so that a ``view`` whose size argument came from a tensor
  stays distinguishable from one with a literal (channel shuffles).

What one eager run can not represent makes :meth:`EagerTracer.trace`
raise :class:`EagerTraceError` (the analyzer then traces with torch.fx
and says so in its report): Python control flow on tensor values (a
``bool``/``item`` of a traced tensor: FX refuses those too), a tensor of
unknown origin (e.g. made by an extension op that bypasses torch's
function overrides) and module classes with their own ``__call__`` or
``__slots__``. Modules called but not registered under the model (made
in ``forward``) are traced through, as ops.

Differences to the FX graph that do not change the channel analysis:
operators show up as the tensor methods they dispatch to (``x + y`` is
``call_method add``, ``x += y`` is ``call_method add_``), and an in-place
op's later users read its output node.
"""
import builtins
import functools
import inspect
import operator
import weakref
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.fx.graph import (_illegal_char_regex, _is_magic, _name_regex,
                            _snake_case)
from torch.overrides import TorchFunctionMode

from mmrazor.structures.graph.module_graph import ModuleGraph, ModuleNode
from .fx.fx_tracer import _PLAIN_CONVS, _conv_zeros, _to_meta


class EagerTraceError(RuntimeError):
    """The eager tracer can not represent the model (reason given)."""


class _Abort(BaseException):
    """Unwinds the traced forward. Not an ``Exception``: a model's own
    ``except Exception`` must not swallow it."""


_TAG = '_mmrazor_eager_trace'
# tensor methods that turn values into Python data (data-dependent
# control flow when applied to a traced tensor)
_CONVERSIONS = frozenset(
    ('__bool__', '__float__', '__int__', '__index__', '__complex__', 'item',
     'tolist', 'numpy', '__array__', '__iter__', '__contains__'))
# tensor methods passed through without a node
_PASSTHROUGH = frozenset(
    ('__len__', '__repr__', '__format__', '__hash__', '__reduce_ex__',
     '__deepcopy__', '__setstate__', '__dir__', '__sizeof__', 'data_ptr',
     'is_contiguous', 'stride', 'element_size', 'get_device', 'dim_order',
     'storage_offset', 'untyped_storage', 'nelement', 'is_floating_point',
     'is_complex', 'is_signed', 'register_hook'))
# methods and properties giving sizes
_SIZE_METHODS = frozenset(('size', 'dim', 'numel', 'ndimension'))
_SIZE_ATTRS = frozenset(('shape', 'ndim'))
_INT_OPS = {
    '__add__': (operator.add, False),
    '__radd__': (operator.add, True),
    '__sub__': (operator.sub, False),
    '__rsub__': (operator.sub, True),
    '__mul__': (operator.mul, False),
    '__rmul__': (operator.mul, True),
    '__floordiv__': (operator.floordiv, False),
    '__rfloordiv__': (operator.floordiv, True),
    '__mod__': (operator.mod, False),
    '__rmod__': (operator.mod, True),
}


def _bn_zeros(ndims: tuple):
    """Zeros of the output shape of a plain batch norm in eval mode (its
    output has the input's shape), or None when the real op should run."""

    def zeros(bn: nn.Module, args: tuple) -> Optional[Tensor]:
        if len(args) != 1 or not isinstance(args[0], Tensor) or \
                bn.training:
            return None
        x = args[0]
        if x.dim() not in ndims or x.shape[1] != bn.num_features:
            return None
        # a new tensor object on the same memory: the values are not
        # needed, only a distinct tensor of the output shape
        return x.view(x.shape)

    return zeros


_PLAIN_BNS = {
    nn.BatchNorm1d: _bn_zeros((2, 3)),
    nn.BatchNorm2d: _bn_zeros((4, )),
    nn.BatchNorm3d: _bn_zeros((5, )),
}


def _linear_zeros(fc: nn.Module, args: tuple) -> Optional[Tensor]:
    """Zeros of the output shape of a plain Linear (None: run it)."""
    if len(args) != 1 or not isinstance(args[0], Tensor):
        return None
    x = args[0]
    if x.dim() < 1 or x.shape[-1] != fc.in_features:
        return None
    dtype = x.dtype if x.is_floating_point() else fc.weight.dtype
    return x.new_zeros((*x.shape[:-1], fc.out_features), dtype=dtype)


_SHAPE_ONLY = dict(_PLAIN_BNS)
_SHAPE_ONLY.update({c: _conv_zeros for c in _PLAIN_CONVS})
_SHAPE_ONLY[nn.Linear] = _linear_zeros


def _elementwise(act: nn.Module, args: tuple) -> Optional[Tensor]:
    """The output of an elementwise activation without computing it: the
    input itself when in place, else a new tensor of its shape."""
    if len(args) != 1 or not isinstance(args[0], Tensor) or \
            not args[0].is_floating_point():
        return None
    x = args[0]
    return x if getattr(act, 'inplace', False) else x.view(x.shape)


_SHAPE_ONLY.update({
    c: _elementwise
    for c in (nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Hardsigmoid,
              nn.Sigmoid, nn.Tanh, nn.GELU, nn.LeakyReLU, nn.ELU, nn.Mish)
})


@functools.lru_cache(maxsize=4096)
def _target_to_str(target: Any) -> str:
    """The node name candidate of ``target`` (as ``fx.Graph`` makes it)."""
    if callable(target):
        op = target.__name__
    else:
        op = target
        if _is_magic(op):
            op = op[2:-2]
    if op.lower() != op:  # (nothing upper case: the regex keeps it)
        op = _snake_case(op)
    if op.isascii():
        # the common cases without the regexes: a valid name, or a
        # module path whose single dots become underscores
        if op.isidentifier():
            return op
        dotted = op.replace('.', '_')
        if '..' not in op and dotted.isidentifier():
            return dotted
    if _name_regex.match(op) is None:
        # what ``_Namespace.create_name`` makes of it (done once here:
        # the name is then valid as it is, and found faster there)
        op = _illegal_char_regex.sub('_', op) or '_unnamed'
        if op[0].isdigit():
            op = f'_{op}'
    return op


class _TracedInt(int):
    """An int read from a traced tensor's size (or computed from one)."""

    _node: ModuleNode
    _tracer: 'EagerTracer'

    @staticmethod
    def make(value: int, node: ModuleNode,
             tracer: 'EagerTracer') -> '_TracedInt':
        out = _TracedInt(value)
        out._node = node
        out._tracer = tracer
        return out


def _int_op(name: str, fn: Any, reflected: bool):

    def op(self, other):
        value = getattr(int, name)(self, other)
        if value is NotImplemented or type(value) is not int or \
                not self._tracer.active:
            return value
        args = (other, self) if reflected else (self, other)
        node = self._tracer._node('call_function', fn, args, {}, value)
        return _TracedInt.make(value, node, self._tracer)

    op.__name__ = name
    return op


for _name, (_fn, _refl) in _INT_OPS.items():
    setattr(_TracedInt, _name, _int_op(_name, _fn, _refl))


def _neg(self):
    value = -int(self)
    if not self._tracer.active:
        return value
    node = self._tracer._node('call_function', operator.neg, (self, ), {},
                              value)
    return _TracedInt.make(value, node, self._tracer)


_TracedInt.__neg__ = _neg  # type: ignore


class _TracedSize(tuple):
    """A tensor size whose items, read one by one, are traced ints."""

    _node: ModuleNode
    _tracer: 'EagerTracer'

    @staticmethod
    def make(value: tuple, node: ModuleNode,
             tracer: 'EagerTracer') -> '_TracedSize':
        out = _TracedSize(value)
        out._node = node
        out._tracer = tracer
        return out

    def __getitem__(self, idx):
        value = tuple.__getitem__(self, idx)
        if not self._tracer.active or not isinstance(idx, (int, slice)):
            return value
        node = self._tracer._node('call_function', operator.getitem,
                                  (self, idx), {}, value)
        if isinstance(idx, slice):
            return _TracedSize.make(value, node, self._tracer)
        return _TracedInt.make(value, node, self._tracer)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def numel(self) -> int:
        n = 1
        for s in tuple.__iter__(self):
            n *= s
        return n


def _set_class(obj: Any, cls: type) -> None:
    object.__setattr__(obj, '__class__', cls)


def _no_hooks(mod: nn.Module) -> bool:
    """Whether ``Module.__call__`` would just call ``forward``."""
    from torch.nn.modules import module as m
    return not (mod._backward_hooks or mod._backward_pre_hooks
                or mod._forward_hooks or mod._forward_pre_hooks
                or m._global_backward_pre_hooks or m._global_backward_hooks
                or m._global_forward_hooks or m._global_forward_pre_hooks
                or mod.__dict__.get('_compiled_call_impl') is not None
                or torch._C._get_tracing_state())


def _routed_call(mod: nn.Module, *args, **kwargs) -> Any:
    return _ACTIVE[-1]._call_module(mod, args, kwargs)


_ACTIVE: List['EagerTracer'] = []


@functools.lru_cache(maxsize=None)
def _intercepting_class(cls: type) -> type:
    """A subclass of ``cls`` (same name and module) whose calls go to the
    active eager trace."""
    return type(
        cls.__name__, (cls, ), {
            '__call__': _routed_call,
            '__module__': cls.__module__,
            '__qualname__': cls.__qualname__,
            '_eager_original_class': cls,
        })


def is_leaf_module(m: nn.Module, path: str, leaf_names: frozenset,
                   leaf_classes: tuple) -> bool:
    """The leaf rule of :class:`~.fx.FxTracer`.

    Args:
        m (nn.Module): The module (of its own class, not swapped).
        path (str): Its path under the traced root.
        leaf_names (frozenset): Paths and class names made leaves.
        leaf_classes (tuple): Classes made leaves.

    Returns:
        bool: Whether a call of ``m`` is one ``call_module`` node.
    """
    cls = type(m)
    if path in leaf_names or cls.__name__ in leaf_names or \
            (leaf_classes and isinstance(m, leaf_classes)):
        return True
    return _leaf_class(cls)


@functools.lru_cache(maxsize=None)
def _leaf_class(cls: type) -> bool:
    from mmrazor.models.architectures.dynamic_ops import DynamicMixin
    # the MRO, not issubclass: the ABC check of a class that is not a
    # dynamic op walks every dynamic op class (DynamicMixin has no
    # virtual subclasses)
    if DynamicMixin in cls.__mro__ and not issubclass(cls, nn.Sequential):
        return True
    if issubclass(
            cls,
        (nn.Conv2d, nn.Linear, _BatchNorm, nn.LayerNorm, nn.GroupNorm)):
        return True
    if cls.__name__ == 'Scale':
        return True
    return (cls.__module__.startswith('torch.nn')
            or cls.__module__.startswith('torch.ao.nn')) and \
        not issubclass(cls, nn.Sequential)


class _Mode(TorchFunctionMode):

    def __init__(self, tracer: 'EagerTracer') -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return self.tracer._function(func, args, kwargs or {})


_REFLECTED = {
    '__radd__': operator.add,
    '__rsub__': operator.sub,
    '__rmul__': operator.mul,
    '__rdiv__': operator.truediv,
    '__rtruediv__': operator.truediv,
    '__rfloordiv__': operator.floordiv,
    '__rmod__': operator.mod,
    '__rpow__': operator.pow,
    '__rmatmul__': operator.matmul,
    '__rand__': operator.and_,
    '__ror__': operator.or_,
    '__rxor__': operator.xor,
    '__rlshift__': operator.lshift,
    '__rrshift__': operator.rshift,
}
_DUNDER_OPS = {
    '__getitem__': operator.getitem,
    '__setitem__': operator.setitem,
    '__add__': operator.add,
    '__sub__': operator.sub,
    '__mul__': operator.mul,
    '__div__': operator.truediv,
    '__truediv__': operator.truediv,
    '__floordiv__': operator.floordiv,
    '__mod__': operator.mod,
    '__pow__': operator.pow,
    '__matmul__': operator.matmul,
    '__and__': operator.and_,
    '__or__': operator.or_,
    '__xor__': operator.xor,
    '__lshift__': operator.lshift,
    '__rshift__': operator.rshift,
    '__invert__': operator.invert,
    '__neg__': operator.neg,
    '__pos__': operator.pos,
    '__abs__': operator.abs,
}


def _is_tensor_method(func: Any) -> bool:
    """Whether ``func`` is a method of ``torch.Tensor`` (what
    ``torch.overrides.is_tensor_method_or_property`` tells for the
    functions a mode sees, without building torch's table of every
    overridable function on the first call)."""
    owner = getattr(func, '__objclass__', None)
    if owner is not None:
        return isinstance(owner, type) and issubclass(Tensor, owner) and \
            owner is not object
    return getattr(func, '__qualname__', '').startswith(
        ('Tensor.', 'TensorBase.', '_TensorBase.'))


@functools.lru_cache(maxsize=None)
def _classify(func: Any) -> Tuple[str, Any]:
    """``(kind, target)`` of a torch function seen by the mode.

    Kinds: 'getattr' (a tensor property), 'call_method', 'call_function',
    'reflected' (``other - x``: an operator with swapped operands),
    'size' (``size()``, ``dim()``, ...), 'convert' (tensor values to
    Python) and 'pass' (nothing to record).
    """
    name = getattr(func, '__name__', '')
    if name == '__get__':
        owner = getattr(func, '__self__', None)
        return 'getattr', getattr(owner, '__name__', '')
    if _is_tensor_method(func):
        if name in _DUNDER_OPS:
            return 'call_function', _DUNDER_OPS[name]
        if name in _REFLECTED:
            return 'reflected', _REFLECTED[name]
        if name in _CONVERSIONS:
            return 'convert', name
        if name in _PASSTHROUGH:
            return 'pass', name
        if name in _SIZE_METHODS:
            return 'size', name
        # other methods (and dunders, recorded under their own name: an
        # unknown op for the channel rules)
        return 'call_method', name
    return 'call_function', func


class EagerTracer:
    """Records the channel-analysis op graph of one eager forward.

    Args:
        leaf_modules (Sequence): Module paths (under the traced root), class
            names or classes traced as opaque ops, as for
            :class:`~.fx.FxTracer`.
        shape_only_convs (bool): Plain ``nn.Conv1d/2d/3d`` leaves (and
            plain batch norms in eval mode) give zeros of their output
            shape instead of computing (input channels still checked: a
            mismatch runs the real op, which raises). Defaults to True.
    """

    def __init__(self,
                 leaf_modules: Any = (),
                 shape_only_convs: bool = True) -> None:
        self.leaf_names = frozenset(
            x for x in leaf_modules if isinstance(x, str))
        self.leaf_classes = tuple(
            x for x in leaf_modules if isinstance(x, type))
        self.shape_only_convs = shape_only_convs
        self.active = False

    # ---------------------------------------------------------------- api
    def trace(
        self,
        root: nn.Module,
        inputs: Any,
        prefix: str = '',
        named_modules: Optional[List[Tuple[str, nn.Module]]] = None
    ) -> Tuple[ModuleGraph, Any]:
        """Run ``root.forward(inputs)`` once and record its op graph.

        Args:
            root (nn.Module): The module to trace (its own ``forward`` is
                traced; its submodules are called).
            inputs (Tensor): The input.
            prefix (str): Module path prefix stripped from the recorded
                module paths (e.g. 'model.').
            named_modules (list, optional): ``list(root.named_modules())``
                when the caller has it.

        Returns:
            tuple: ``(graph, output)``: the :class:`ModuleGraph` (values are
            meta tensors of the recorded shapes) and the forward's output.

        Raises:
            EagerTraceError: The forward does something one eager run can
                not represent (see the module docstring).
        """
        from torch.fx.graph import _Namespace
        self.graph = ModuleGraph()
        self.prefix = prefix
        self.names = _Namespace()
        self.stack: List[str] = []
        self.num_calls: Dict[str, int] = {}
        self.leaf_depth = 0
        self.consts: Dict[int, Tuple[Tensor, Optional[ModuleNode]]] = {}
        self.attr_names: Optional[Dict[int, Tuple[str, bool]]] = None
        self.num_constants = 0
        self.tagged: List[weakref.ref] = []
        self.metas: Dict[tuple, Tensor] = {}
        self.error: Optional[str] = None
        named = list(root.named_modules()) if named_modules is None \
            else named_modules
        self.named = named
        # id -> (path, is leaf, shape-only stand-in of the leaf or None,
        # path without the prefix)
        self.modules: Dict[int, Tuple[str, bool, Any, str]] = {}
        for path, mod in named[1:]:
            if id(mod) in self.modules:
                continue
            cls = type(mod)
            if cls.__call__ is not nn.Module.__call__ and \
                    '_eager_original_class' not in cls.__dict__:
                raise EagerTraceError(
                    f'module `{path}` ({cls.__name__}) has its own '
                    '__call__')
            leaf = is_leaf_module(mod, path, self.leaf_names,
                                  self.leaf_classes)
            shape_only = None
            if self.shape_only_convs:
                shape_only = _SHAPE_ONLY.get(cls)
            short = path[len(prefix):] if prefix and \
                path.startswith(prefix) else path
            self.modules[id(mod)] = (path, leaf, shape_only, short)
        forward = type(root).forward
        params = list(inspect.signature(forward).parameters)
        in_name = params[1] if len(params) > 1 else 'input'
        swapped: List[Tuple[nn.Module, type]] = []
        _ACTIVE.append(self)
        self.active = True
        try:
            try:
                for _, mod in named[1:]:
                    cls = type(mod)
                    if '_eager_original_class' in cls.__dict__:
                        continue
                    # not nn.Module.__setattr__ (slow, nothing to register)
                    _set_class(mod, _intercepting_class(cls))
                    swapped.append((mod, cls))
            except TypeError as e:  # e.g. __slots__: layouts differ
                raise EagerTraceError(
                    f'can not intercept the calls of {type(mod).__name__} '
                    f'({e})') from e
            node = self._node(
                'placeholder', in_name, (), {}, inputs, name=in_name)
            self._tag_outputs(inputs, node)  # a tensor, or getitem nodes
            try:
                with _Mode(self):
                    out = forward(root, inputs)
                node = self._node(
                    'output', 'output', (out, ), {}, out, name='output')
            except _Abort:
                pass
        finally:
            self.active = False
            _ACTIVE.pop()
            for mod, cls in reversed(swapped):
                _set_class(mod, cls)
            for ref in self.tagged:
                t = ref()
                if t is not None:
                    t.__dict__.pop(_TAG, None)
            self.tagged = []
            self.consts = {}
            self.metas = {}
            self.named = []
        if self.error is not None:
            raise EagerTraceError(self.error)
        return self.graph, out

    # ---------------------------------------------------------- internals
    def _abort(self, reason: str) -> None:
        if self.error is None:
            self.error = reason
        raise _Abort(reason)

    def short_path(self) -> str:
        """The (prefix-stripped) path of the innermost module running."""
        return self.stack[-1] if self.stack else ''

    def _tag(self, value: Any, node: Optional[ModuleNode]) -> None:
        if isinstance(value, Tensor):
            d = value.__dict__
            if _TAG not in d:
                # weakly: the trace must not keep every activation alive
                self.tagged.append(weakref.ref(value))
            d[_TAG] = (self, node)

    def _node(self,
              op: str,
              target: Any,
              args: tuple,
              kwargs: dict,
              value: Any,
              module: Optional[nn.Module] = None,
              module_path: Optional[str] = None,
              name: Optional[str] = None) -> ModuleNode:
        inputs: List[ModuleNode] = []
        margs = self._map(args, inputs)
        mkwargs = self._map(kwargs, inputs) if kwargs else {}
        name = self.names.create_name(name or _target_to_str(target), None)
        # (the function mode is off here: popped while it handles a call,
        # disabled around module calls)
        if isinstance(value, Tensor):
            # one meta tensor per shape and dtype (values are only read)
            key = (value.shape, value.dtype)
            meta = self.metas.get(key)
            if meta is None:
                meta = self.metas[key] = _to_meta(value)
        else:
            meta = _to_meta(value)
        node = ModuleNode(
            name, op, target, module,
            self.short_path() if module_path is None else module_path, margs,
            mkwargs, meta)
        self.graph.add_node(node)
        for inp in inputs:
            node.add_prev(inp)
        return node

    def _map(self, a: Any, inputs: List[ModuleNode]) -> Any:
        """``a`` with traced values replaced by their nodes."""
        if isinstance(a, Tensor):
            node = self._tensor_node(a)
            if node not in inputs:
                inputs.append(node)
            return node
        if isinstance(a, _NodeRef):
            if a.node not in inputs:
                inputs.append(a.node)
            return a.node
        if isinstance(a, (_TracedInt, _TracedSize)):
            if a._tracer is self:
                if a._node not in inputs:
                    inputs.append(a._node)
                return a._node
            return tuple(a) if isinstance(a, tuple) else int(a)
        if isinstance(a, tuple):
            t = tuple(self._map(x, inputs) for x in a)
            return type(a)(*t) if hasattr(a, '_fields') else t
        if isinstance(a, list):
            return [self._map(x, inputs) for x in a]
        if isinstance(a, dict):
            return {k: self._map(v, inputs) for k, v in a.items()}
        if isinstance(a, slice):
            return slice(
                self._map(a.start, inputs), self._map(a.stop, inputs),
                self._map(a.step, inputs))
        return a

    def _traced(self, a: Any) -> bool:
        """Whether ``a`` holds a traced tensor, parameter, buffer or
        traced int."""
        if isinstance(a, Tensor):
            tag = a.__dict__.get(_TAG)
            if tag is not None and tag[0] is self:
                return tag[1] is not None
            return self._attr_name(a) is not None and \
                self._attr_name(a)[1]
        if isinstance(a, (_TracedInt, _TracedSize)):
            return a._tracer is self
        if isinstance(a, (list, tuple)):
            return any(self._traced(x) for x in a)
        if isinstance(a, dict):
            return any(self._traced(x) for x in a.values())
        if isinstance(a, slice):
            return self._traced((a.start, a.stop, a.step))
        return False

    def _attr_name(self, t: Tensor) -> Optional[Tuple[str, bool]]:
        """``(qualified name, is parameter or buffer)`` of a tensor held
        by a module of the root, or None."""
        if self.attr_names is None:
            names: Dict[int, Tuple[str, bool]] = {}
            for path, mod in self.named:
                pre = f'{path}.' if path else ''
                for k, v in mod._parameters.items():
                    if v is not None:
                        names.setdefault(id(v), (pre + k, True))
                for k, v in mod._buffers.items():
                    if v is not None:
                        names.setdefault(id(v), (pre + k, True))
                for k, v in mod.__dict__.items():
                    if isinstance(v, Tensor):
                        names.setdefault(id(v), (pre + k, False))
            self.attr_names = names
        return self.attr_names.get(id(t))

    def _tensor_node(self, t: Tensor) -> ModuleNode:
        tag = t.__dict__.get(_TAG)
        if tag is not None and tag[0] is self and tag[1] is not None:
            return tag[1]
        entry = self.consts.get(id(t))
        if entry is not None:
            return entry[1]
        attr = self._attr_name(t)
        if attr is not None:
            target = attr[0]
        elif tag is not None and tag[0] is self:
            target = f'_tensor_constant{self.num_constants}'
            self.num_constants += 1
        else:
            self._abort(f'a {type(t).__name__} of shape {tuple(t.shape)} '
                        'was not made by a traced op (e.g. by an '
                        'extension op that bypasses torch function '
                        'overrides)')
        p = self.prefix
        stripped = target[len(p):] if p and target.startswith(p) else target
        name = self.names.create_name(_target_to_str(target), None)
        with torch._C.DisableTorchFunction():
            meta = _to_meta(t)
        node = ModuleNode(name, 'get_attr', stripped, None, self.short_path(),
                          (), {}, meta)
        self.graph.add_node(node)
        self.consts[id(t)] = (t, node)
        return node

    def _tag_outputs(self, out: Any, node: ModuleNode) -> None:
        if isinstance(out, Tensor):
            self._tag(out, node)
        elif isinstance(out, (tuple, list)):
            for i, o in enumerate(out):
                if isinstance(o, Tensor):
                    item = self._node('call_function', operator.getitem,
                                      (_NodeRef(node), i), {}, o)
                    self._tag(o, item)

    # ------------------------------------------------------- interception
    def _call_module(self, mod: nn.Module, args: tuple, kwargs: dict) -> Any:
        orig = nn.Module.__call__
        if self.leaf_depth or not self.active:
            return orig(mod, *args, **kwargs)
        info = self.modules.get(id(mod))
        if info is None:
            self._abort(f'{type(mod).__name__} called in the forward is not '
                        'a submodule of the model')
        path, leaf, shape_only, short = info
        n = self.num_calls.get(path, 0)
        self.num_calls[path] = n + 1
        if not leaf:
            self.stack.append(short if n == 0 else f'{short}@{n}')
            try:
                if _no_hooks(mod):
                    # what Module.__call__ does without hooks
                    return mod.forward(*args, **kwargs)
                return orig(mod, *args, **kwargs)
            finally:
                self.stack.pop()
        # (called from the model's code: the mode is active here)
        with torch._C.DisableTorchFunction():
            out = None
            if shape_only is not None and not kwargs:
                out = shape_only(mod, args)
            if out is None:
                self.leaf_depth += 1
                try:
                    out = orig(mod, *args, **kwargs)
                finally:
                    self.leaf_depth -= 1
            if len(args) == 1 and not kwargs and \
                    type(out) is Tensor and isinstance(args[0], Tensor):
                self._leaf_node(path, mod, short, args[0], out)
            else:
                node = self._node(
                    'call_module',
                    path,
                    args,
                    kwargs,
                    out,
                    module=mod,
                    module_path=short)
                self._tag_outputs(out, node)
        return out

    def _leaf_node(self, path: str, mod: nn.Module, short: str, x: Tensor,
                   out: Tensor) -> None:
        """:meth:`_node` and :meth:`_tag_outputs` for the common leaf call
        (one tensor in, one tensor out)."""
        tag = x.__dict__.get(_TAG)
        if tag is not None and tag[0] is self and tag[1] is not None:
            inp = tag[1]
        else:
            inp = self._tensor_node(x)
        name = self.names.create_name(_target_to_str(path), None)
        key = (out.shape, out.dtype)
        meta = self.metas.get(key)
        if meta is None:
            meta = self.metas[key] = _to_meta(out)
        node = ModuleNode(name, 'call_module', path, mod, short, (inp, ), {},
                          meta)
        # a new, uniquely named node: no duplicate checks needed
        self.graph.nodes[name] = node
        node.prev_nodes.append(inp)
        inp.next_nodes.append(node)
        d = out.__dict__
        if _TAG not in d:
            self.tagged.append(weakref.ref(out))
        d[_TAG] = (self, node)

    def _function(self, func: Any, args: tuple, kwargs: dict) -> Any:
        if self.leaf_depth or not self.active:
            return func(*args, **kwargs)
        kind, target = _classify(func)
        if kind == 'pass':
            return func(*args, **kwargs)
        if kind == 'convert':
            if self._traced(args[:1]):
                self._abort(f'`{target}` of a traced tensor (Python control '
                            'flow on tensor values)')
            return func(*args, **kwargs)
        out = func(*args, **kwargs)
        if kind == 'reflected':
            if not _has_tensor(out) or not self._traced((args, kwargs)):
                _tag_constants(self, out)
                return out
            node = self._node('call_function', target,
                              (args[1], args[0]) + tuple(args[2:]), kwargs,
                              out)
            self._tag_outputs(out, node)
            return out
        if kind == 'getattr':
            if not args or not self._traced(args[0]):
                return out
            if target in _SIZE_ATTRS:
                node = self._node('call_function', builtins.getattr,
                                  (args[0], target), {}, out)
                if isinstance(out, tuple):
                    return _TracedSize.make(tuple(out), node, self)
                return _TracedInt.make(out, node, self)
            if isinstance(out, Tensor):
                node = self._node('call_function', builtins.getattr,
                                  (args[0], target), {}, out)
                self._tag(out, node)
            return out
        if kind == 'size':
            if not self._traced(args[:1]):
                return out
            node = self._node('call_method', target, args, kwargs, out)
            if isinstance(out, tuple):
                return _TracedSize.make(tuple(out), node, self)
            return _TracedInt.make(out, node, self)
        if not _has_tensor(out):
            if kind == 'call_function' and target is operator.setitem and \
                    self._traced((args, kwargs)):
                self._node(kind, target, args, kwargs, out)
            return out
        if not self._traced((args, kwargs)):
            # made from constants only: a constant (FX runs it too)
            _tag_constants(self, out)
            return out
        node = self._node(kind, target, args, kwargs, out)
        self._tag_outputs(out, node)
        return out


class _NodeRef:
    """An argument that is already a node."""

    __slots__ = ('node', )

    def __init__(self, node: ModuleNode) -> None:
        self.node = node


def _tag_constants(tracer: EagerTracer, out: Any) -> None:
    if isinstance(out, Tensor):
        tracer._tag(out, None)
    elif isinstance(out, (tuple, list)):
        for o in out:
            _tag_constants(tracer, o)


def _has_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tensor(v) for v in value.values())
    return False


# the common torch.nn classes at import (a first trace would create them)
for _cls in (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.ReLU, nn.ReLU6,
             nn.Sequential, nn.ModuleList, nn.AdaptiveAvgPool2d, nn.MaxPool2d,
             nn.Dropout, nn.Identity):
    _intercepting_class(_cls)

__all__ = ['EagerTracer', 'EagerTraceError', 'is_leaf_module']
