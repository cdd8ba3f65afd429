# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any

from torch import nn

from mmrazor.registry import TASK_UTILS
from .module_outputs_recorder import ModuleOutputsRecorder


@TASK_UTILS.register_module()
class ModuleInputsRecorder(ModuleOutputsRecorder):
    """Record the positional inputs of a sub-module.

    Each record is the tuple of positional arguments of one call, so
    ``get_record_data(data_idx=0)`` is the first input.

    Args:
        source (str): Name of the module, e.g. ``'head.fc'``.
    """

    def forward_hook(self, module: nn.Module, inputs: Any,
                     outputs: Any) -> None:
        """Append ``inputs`` while recording."""
        if self.recording:
            self.data_buffer.append(inputs)
