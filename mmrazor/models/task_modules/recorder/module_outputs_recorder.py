# Copyright (c) OpenMMLab. All rights reserved.
from typing import Any, Optional

from torch import nn

from mmrazor.registry import TASK_UTILS
from .base_recorder import BaseRecorder
from .utils import get_submodule


@TASK_UTILS.register_module()
class ModuleOutputsRecorder(BaseRecorder):
    """Record the outputs of a sub-module through a forward hook.

    Every call of the module while recording appends one record. The hook
    is registered once by :meth:`initialize` and does nothing outside the
    recorder context.

    Args:
        source (str): Name of the module, e.g. ``'backbone.layer4'``.

    Examples:
        >>> model = nn.Sequential(nn.Linear(2, 2))
        >>> r = ModuleOutputsRecorder('0')
        >>> r.initialize(model)
        >>> with r:
        ...     out = model(torch.ones(1, 2))
        >>> torch.equal(r.get_record_data(), out)
        True
    """

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._handle = None
        self._model_id: Optional[int] = None

    def prepare_from_model(self, model: Optional[nn.Module] = None) -> None:
        """Register the forward hook on ``model.<source>``."""
        module = get_submodule(model, self.source, type(self).__name__)
        if self._handle is not None:
            if self._model_id == id(module):
                return
            self._handle.remove()
        self._handle = module.register_forward_hook(self.forward_hook)
        self._model_id = id(module)

    def forward_hook(self, module: nn.Module, inputs: Any,
                     outputs: Any) -> None:
        """Append ``outputs`` while recording."""
        if self.recording:
            self.data_buffer.append(outputs)

    def remove_hook(self) -> None:
        """Remove the forward hook."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
            self._model_id = None
            self._initialized = False
