# Copyright (c) OpenMMLab. All rights reserved.
"""The table of per-op channel rules of the channel analysis.

Both channel-analysis front ends read it: the FX path (call_module and
call_function/call_method nodes) and the :class:`BackwardTracer` (module
calls, and autograd nodes turned into function names by
:mod:`mmrazor.models.task_modules.tracer.parsers`). A rule names how an op
maps the channels of its inputs onto its outputs; :class:`ChannelGraph`
implements each rule kind once (``ChannelGraph._rule_<kind>``).

Module rule kinds: ``'conv'`` (``in_channels`` -> ``out_channels``; group,
depthwise and transposed convs), ``'linear'`` (last dim), ``'batch_norm'``
(dim 1, tied in and out), ``'layer_norm'``, ``'group_norm'`` (whole
groups), ``'attention'`` (``nn.MultiheadAttention``: embed dims kept),
``'pass'`` (channels unchanged: activations, pooling, dropout, padding of
spatial dims), ``'prelu'`` (pass with a single parameter), ``'flatten'``,
``'softmax'`` and ``'scale'`` (a single learned scalar).

Function rule kinds: ``'pass'``, ``'binary'`` (broadcasting elementwise
ops: the channels of the operands are tied), ``'reshape'``, ``'permute'``,
``'cat'``, ``'stack'``, ``'split'``, ``'reduce'``, ``'softmax'``,
``'expand'``, ``'pad'`` and ``'new'`` (a tensor unrelated to the inputs).

A new op is one entry, e.g. for a conv-like module that does not subclass
``nn.Conv2d``::

    from mmrazor.structures.graph.channel_rules import CHANNEL_RULES
    CHANNEL_RULES.register_module(MyConv, 'conv')

Modules are looked up along their MRO (the most derived registered class
wins), so subclasses of registered ops (``DynamicConv2d``,
``GroupFisherConv2d``, ``FuseConv2d``, ``DMCPBatchNorm2d``, ...) follow
their base's rule without an entry of their own.
"""
from typing import Callable, Dict, Iterable, Optional, Type, Union

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

Rule = Union[str, Callable]

MODULE_RULE_KINDS = ('conv', 'linear', 'batch_norm', 'layer_norm',
                     'group_norm', 'attention', 'pass', 'prelu', 'flatten',
                     'softmax', 'scale')
FUNCTION_RULE_KINDS = ('pass', 'binary', 'reshape', 'permute', 'cat', 'stack',
                       'split', 'reduce', 'softmax', 'expand', 'pad', 'new')


class ChannelRules:
    """Per-op channel rules: module types (and class names) and function
    names to rule kinds (or callables ``rule(graph, node, module, path,
    x)`` / ``rule(graph, node, name, x)``)."""

    def __init__(self) -> None:
        self._module_types: Dict[type, Rule] = {}
        self._module_names: Dict[str, Rule] = {}
        self._functions: Dict[str, Rule] = {}
        self._cache: Dict[type, Optional[Rule]] = {}

    def register_module(self, types: Union[Type[nn.Module],
                                           Iterable[Type[nn.Module]]],
                        rule: Rule) -> None:
        """Give the module type(s) ``types`` the rule ``rule``."""
        if isinstance(types, type):
            types = (types, )
        self._check(rule, MODULE_RULE_KINDS)
        for t in types:
            self._module_types[t] = rule
        self._cache.clear()

    def register_module_name(self, class_name: str, rule: Rule) -> None:
        """Rule for modules of class ``class_name`` (consulted when no
        registered type is in the module's MRO)."""
        self._check(rule, MODULE_RULE_KINDS)
        self._module_names[class_name] = rule
        self._cache.clear()

    def register_function(self, names: Union[str, Iterable[str]],
                          rule: Rule) -> None:
        """Give the function/method name(s) ``names`` the rule ``rule``."""
        if isinstance(names, str):
            names = (names, )
        self._check(rule, FUNCTION_RULE_KINDS)
        for n in names:
            self._functions[n] = rule

    @staticmethod
    def _check(rule: Rule, kinds: tuple) -> None:
        if isinstance(rule, str) and rule not in kinds:
            raise ValueError(f'unknown channel rule kind {rule!r}; known: '
                             f'{kinds} (or a callable)')

    def module_rule(self, module: nn.Module) -> Optional[Rule]:
        """The rule of ``module`` (None: unsupported)."""
        cls = type(module)
        try:
            return self._cache[cls]
        except KeyError:
            pass
        rule = None
        for base in cls.__mro__:
            if base in self._module_types:
                rule = self._module_types[base]
                break
        if rule is None:
            rule = self._module_names.get(cls.__name__)
        self._cache[cls] = rule
        return rule

    def function_rule(self, name: str) -> Optional[Rule]:
        """The rule of the function/method ``name`` (None: unsupported)."""
        return self._functions.get(name)

    def functions_of(self, kind: str) -> frozenset:
        """Names of the functions with rule kind ``kind``."""
        return frozenset(n for n, r in self._functions.items() if r == kind)

    def module_types_of(self, kind: str) -> tuple:
        """Module types with rule kind ``kind``."""
        return tuple(t for t, r in self._module_types.items() if r == kind)


CHANNEL_RULES = ChannelRules()

# ------------------------------------------------------------------ modules
CHANNEL_RULES.register_module(nn.Conv2d, 'conv')
CHANNEL_RULES.register_module(nn.ConvTranspose2d, 'conv')
CHANNEL_RULES.register_module(nn.Linear, 'linear')
CHANNEL_RULES.register_module(_BatchNorm, 'batch_norm')
CHANNEL_RULES.register_module(nn.LayerNorm, 'layer_norm')
CHANNEL_RULES.register_module(nn.MultiheadAttention, 'attention')
CHANNEL_RULES.register_module(nn.GroupNorm, 'group_norm')
CHANNEL_RULES.register_module(
    (nn.ReLU, nn.ReLU6, nn.SiLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Hardswish,
     nn.Hardsigmoid, nn.Hardtanh, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU,
     nn.Mish, nn.Softplus, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
     nn.Dropout3d, nn.AlphaDropout, nn.Identity, nn.MaxPool1d, nn.MaxPool2d,
     nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
     nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
     nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
     nn.Upsample, nn.UpsamplingBilinear2d, nn.UpsamplingNearest2d,
     nn.ZeroPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.ConstantPad2d),
    'pass')
CHANNEL_RULES.register_module(nn.PReLU, 'prelu')
CHANNEL_RULES.register_module(nn.Flatten, 'flatten')
CHANNEL_RULES.register_module((nn.Softmax, nn.LogSoftmax), 'softmax')
CHANNEL_RULES.register_module_name('Scale', 'scale')  # mmcv Scale

# ---------------------------------------------------------------- functions
CHANNEL_RULES.register_function(
    ('relu', 'relu_', 'relu6', 'sigmoid', 'sigmoid_', 'tanh', 'tanh_', 'gelu',
     'silu', 'silu_', 'hardswish', 'hardswish_', 'hardsigmoid', 'hardtanh',
     'hardtanh_', 'leaky_relu', 'leaky_relu_', 'elu', 'elu_', 'selu', 'celu',
     'mish', 'softplus', 'dropout', 'dropout_', 'dropout1d', 'dropout2d',
     'dropout3d', 'alpha_dropout', 'feature_alpha_dropout', 'contiguous',
     'clone', 'float', 'half', 'double', 'to', 'detach', 'type', 'cpu', 'cuda',
     'interpolate', 'upsample', 'upsample_bilinear', 'upsample_nearest',
     'max_pool1d', 'max_pool2d', 'max_pool3d', 'avg_pool1d', 'avg_pool2d',
     'avg_pool3d', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d',
     'adaptive_avg_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d',
     'adaptive_max_pool3d', 'max_pool2d_with_indices', 'neg', 'exp', 'abs',
     'sqrt', 'rsqrt', 'clamp', 'clamp_', 'clip', 'sign', 'log', 'sin', 'cos',
     'erf', 'reciprocal', 'round', 'floor', 'ceil', 'relu6_', 'pow', 'square',
     'requires_grad_', 'type_as', 'nan_to_num', 'masked_fill', 'identity',
     'fill_', 'zero_', 'exp_', 'bernoulli_', 'floor_', 'stochastic_depth',
     'drop_path'), 'pass')
CHANNEL_RULES.register_function(
    ('add', 'add_', 'iadd', 'sub', 'sub_', 'isub', 'rsub', 'mul', 'mul_',
     'imul', 'truediv', 'itruediv', 'div', 'div_', 'floordiv', 'maximum',
     'minimum'), 'binary')
CHANNEL_RULES.register_function(
    ('view', 'reshape', 'flatten', 'squeeze', 'unsqueeze', 'squeeze_',
     'unsqueeze_', 'view_as', 'reshape_as'), 'reshape')
CHANNEL_RULES.register_function(
    ('permute', 'transpose', 'transpose_', 't', 'swapaxes', 'movedim'),
    'permute')
CHANNEL_RULES.register_function(('cat', 'concat', 'concatenate'), 'cat')
CHANNEL_RULES.register_function('stack', 'stack')
CHANNEL_RULES.register_function(
    ('chunk', 'split', 'tensor_split', 'split_with_sizes'), 'split')
CHANNEL_RULES.register_function(('mean', 'sum', 'amax', 'amin', 'std', 'var',
                                 'max', 'min', 'logsumexp', 'norm', 'prod'),
                                'reduce')
CHANNEL_RULES.register_function(('softmax', 'log_softmax'), 'softmax')
CHANNEL_RULES.register_function(
    ('expand', 'expand_as', 'repeat', 'broadcast_to'), 'expand')
CHANNEL_RULES.register_function('pad', 'pad')
CHANNEL_RULES.register_function(
    ('zeros_like', 'ones_like', 'empty_like', 'rand_like', 'randn_like',
     'full_like', 'arange', 'zeros', 'ones', 'tensor', 'new_zeros', 'new_ones',
     'new_full', 'new_empty', 'new_tensor'), 'new')

__all__ = [
    'ChannelRules', 'CHANNEL_RULES', 'MODULE_RULE_KINDS', 'FUNCTION_RULE_KINDS'
]
