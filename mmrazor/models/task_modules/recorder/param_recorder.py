# Copyright (c) OpenMMLab. All rights reserved.
from typing import List, Optional

from torch import nn

from mmrazor.registry import TASK_UTILS
from .base_recorder import BaseRecorder
from .utils import close_matches


@TASK_UTILS.register_module()
class ParameterRecorder(BaseRecorder):
    """Record a parameter of the model.

    The record is the parameter itself (not a copy), available as soon as
    the recorder is initialized; entering the context does not drop it.

    Args:
        source (str): Name of the parameter, e.g. ``'head.fc.weight'``.
    """

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._param: Optional[nn.Parameter] = None

    def prepare_from_model(self, model: Optional[nn.Module] = None) -> None:
        """Find ``model.<source>``."""
        if model is None:
            raise ValueError(f'ParameterRecorder({self.source!r}) needs the '
                             'model: call initialize(model)')
        params = dict(model.named_parameters())
        if self.source not in params:
            raise AttributeError(
                f'ParameterRecorder: the model ({type(model).__name__}) has '
                f'no parameter named {self.source!r}; ' +
                close_matches(self.source, list(params)))
        self._param = params[self.source]

    @property
    def data_buffer(self) -> List:
        """list: ``[parameter]`` once initialized, else ``[]``."""
        return [] if self._param is None else [self._param]

    def reset_data_buffer(self) -> None:
        """Nothing to clear: the record is the live parameter."""
