# Copyright (c) OpenMMLab. All rights reserved.
from .fx import (
    CustomTracer,
    UntracedMethodRegistry,
    build_graphmodule,  # noqa: F401,E501
    custom_symbolic_trace,
    duplicate_reused_nodes)
from .channel_analyzer import (
    AnalysisResult,
    ChannelAnalysisReport,  # noqa: F401,E501
    ChannelAnalyzer)
from .fx.fx_tracer import (
    FxTracer,
    MMFxTracer,  # noqa: F401
    UntraceableModelError)
from .loss_calculator import *  # noqa: F401,F403
