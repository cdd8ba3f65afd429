# Copyright (c) OpenMMLab. All rights reserved.
from .backward_tracer import BackwardTracer, TracedOp
from .channel_analyzer import (AnalysisResult, ChannelAnalysisReport,
                               ChannelAnalyzer)
from .eager_tracer import EagerTraceError, EagerTracer
from .fx import (CustomTracer, FxTracer, MMFxTracer, UntraceableModelError,
                 UntracedMethodRegistry, build_graphmodule,
                 custom_symbolic_trace, duplicate_reused_nodes)
from .loss_calculator import *  # noqa: F401,F403
from .path import (Path, PathConcatNode, PathConvNode, PathDepthWiseConvNode,
                   PathLinearNode, PathList, PathNode, PathNormNode)

__all__ = [
    'BackwardTracer', 'TracedOp', 'AnalysisResult', 'ChannelAnalysisReport',
    'ChannelAnalyzer', 'CustomTracer', 'FxTracer', 'MMFxTracer',
    'UntraceableModelError', 'UntracedMethodRegistry', 'build_graphmodule',
    'custom_symbolic_trace', 'duplicate_reused_nodes', 'Path',
    'PathConcatNode', 'PathConvNode', 'PathDepthWiseConvNode',
    'PathLinearNode', 'PathList', 'PathNode', 'PathNormNode', 'EagerTracer',
    'EagerTraceError'
]
