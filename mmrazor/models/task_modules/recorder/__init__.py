# Copyright (c) OpenMMLab. All rights reserved.
from .base_recorder import BaseRecorder
from .function_inputs_recorder import FunctionInputsRecorder
from .function_outputs_recorder import FunctionOutputsRecorder
from .method_inputs_recorder import MethodInputsRecorder
from .method_outputs_recorder import MethodOutputsRecorder
from .module_inputs_recorder import ModuleInputsRecorder
from .module_outputs_recorder import ModuleOutputsRecorder
from .param_recorder import ParameterRecorder
from .recorder_manager import RecorderManager

__all__ = [
    'BaseRecorder', 'FunctionOutputsRecorder', 'FunctionInputsRecorder',
    'MethodOutputsRecorder', 'MethodInputsRecorder', 'ModuleOutputsRecorder',
    'ModuleInputsRecorder', 'ParameterRecorder', 'RecorderManager'
]
