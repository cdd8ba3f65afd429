# Copyright (c) OpenMMLab. All rights reserved.
from .custom_tracer import (CustomTracer, UntraceableCallError,
                            UntracedMethodRegistry, build_graphmodule,
                            custom_symbolic_trace, duplicate_reused_nodes)
from .fx_tracer import (FxTracer, MMFxTracer, UntraceableModelError,
                        ValueRecorder, trace_to_graph_module)
from .graph_utils import (del_fakequant_after_function,
                          del_fakequant_after_method,
                          del_fakequant_after_module, del_fakequant_after_op,
                          del_fakequant_before_function,
                          del_fakequant_before_method,
                          del_fakequant_before_module, del_fakequant_before_op)
from .untraced_call import SkippedMethodCall

__all__ = [
    'CustomTracer', 'UntraceableCallError', 'UntracedMethodRegistry',
    'build_graphmodule', 'custom_symbolic_trace', 'duplicate_reused_nodes',
    'FxTracer', 'MMFxTracer', 'UntraceableModelError', 'ValueRecorder',
    'trace_to_graph_module', 'del_fakequant_after_function',
    'del_fakequant_after_method', 'del_fakequant_after_module',
    'del_fakequant_after_op', 'del_fakequant_before_function',
    'del_fakequant_before_method', 'del_fakequant_before_module',
    'del_fakequant_before_op', 'SkippedMethodCall'
]
